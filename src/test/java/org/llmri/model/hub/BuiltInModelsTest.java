package org.llmri.model.hub;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.model.weights.Sha256;

/** The built-in all-minilm-l6-v2 comes from llmri's class path, offline, verified, extracted once. */
@Tag("slow")
class BuiltInModelsTest {
    @TempDir Path root;

    @Test
    void aBuiltInNameResolvesOfflineToAVerifiedFolderInTheTransformersJsLayout() throws IOException {
        Map<String, String> env = Map.of("LLMRI_CACHE", root.toString(), "HF_HUB_OFFLINE", "1",
                "HF_HUB_CACHE", root.resolve("hf").toString());
        ResolvedModel r = new ModelResolver(env, null, DownloadProgress.silent()).resolve("all-minilm-l6-v2");
        Path dir = r.dir();
        assertThat(dir).startsWith(root.resolve("all-minilm-l6-v2"));
        assertThat(Sha256.ofFile(dir.resolve("onnx/model.onnx")))
                .isEqualTo("759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e");
        assertThat(Sha256.ofFile(dir.resolve("tokenizer.json")))
                .isEqualTo("da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0");
        assertThat(Files.readString(dir.resolve("config.json"))).contains("\"model_type\": \"bert\"", "\"hidden_size\": 384");
        assertThat(root.resolve("hf")).doesNotExist();
        try (var files = Files.walk(root)) {
            assertThat(files.filter(p -> p.toString().endsWith(".partial"))).isEmpty();
        }

        // reused: the same files, not written again
        var before = Files.getLastModifiedTime(dir.resolve("onnx/model.onnx"));
        assertThat(BuiltInModels.resolve("all-minilm-l6-v2", root).dir()).isEqualTo(dir);
        assertThat(Files.getLastModifiedTime(dir.resolve("onnx/model.onnx"))).isEqualTo(before);

        // a damaged copy (here cut short) is replaced by a verified one
        Files.write(dir.resolve("tokenizer.json"), new byte[] {'{', '}'});
        BuiltInModels.resolve("all-minilm-l6-v2", root);
        assertThat(Sha256.ofFile(dir.resolve("tokenizer.json")))
                .isEqualTo("da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0");
    }

    @Test
    void theCacheRootFollowsTheEnvironment() {
        assertThat(BuiltInModels.cacheRoot(Map.of("LLMRI_CACHE", "/a/b"))).isEqualTo(Path.of("/a/b"));
        assertThat(BuiltInModels.cacheRoot(Map.of("XDG_CACHE_HOME", "/x"))).isEqualTo(Path.of("/x/llmri"));
        assertThat(BuiltInModels.cacheRoot(Map.of())).isEqualTo(Path.of(System.getProperty("user.home"), ".cache", "llmri"));
    }
}
