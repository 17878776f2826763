package org.llmri.model.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.llmri.LlmriException;
import org.llmri.model.tokenizer.RandomTokenizer;
import org.llmri.model.tokenizer.TextTokenizer;

@Timeout(60)
class ModelResolverTest {
    static final String REPO = "facebook/galactica-125m";
    static final String MAIN = FakeHub.commitId("main-1");
    static final String TAGGED = FakeHub.commitId("v1.0");

    @TempDir Path tmp;
    FakeHub hub;
    Path cache;
    byte[] config;
    byte[] tokenizer;
    byte[] weights;

    @BeforeEach
    void serve() throws IOException {
        hub = new FakeHub();
        cache = tmp.resolve("cache");
        config = "{\"model_type\": \"opt\", \"vocab_size\": 300}".getBytes(StandardCharsets.UTF_8);
        tokenizer = Files.readAllBytes(RandomTokenizer.write(tmp.resolve("tok"), 300));
        weights = new byte[300_000];
        new Random(42).nextBytes(weights);
        hub.repo(REPO)
                .commit(MAIN, FakeHub.files("config.json", config, false, "tokenizer.json", tokenizer, false,
                        "model.safetensors", weights, true))
                .commit(TAGGED, FakeHub.files("config.json", "{\"v\": 1}".getBytes(StandardCharsets.UTF_8), false,
                        "tokenizer.json", tokenizer, false, "pytorch_model.bin", new byte[] {1, 2, 3}, true))
                .ref("main", MAIN)
                .ref("v1.0", TAGGED);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    Map<String, String> env(String... extra) {
        Map<String, String> env = new HashMap<>();
        env.put("HF_ENDPOINT", hub.endpoint());
        env.put("HF_HUB_CACHE", cache.toString());
        env.put("HF_HOME", tmp.resolve("hf-home").toString()); // no real login token leaks into the tests
        env.put("HF_HUB_DOWNLOAD_TIMEOUT", "1");
        env.put("HF_HUB_ETAG_TIMEOUT", "5");
        for (int i = 0; i < extra.length; i += 2) env.put(extra[i], extra[i + 1]);
        return env;
    }

    ModelResolver resolver(String... extraEnv) {
        return resolver(DownloadProgress.silent(), extraEnv);
    }

    ModelResolver resolver(DownloadProgress progress, String... extraEnv) {
        HubSettings s = HubSettings.from(env(extraEnv));
        return new ModelResolver(s, ModelResolver.httpClient(s), progress, Duration.ofMillis(20));
    }

    Path storage() {
        return cache.resolve("models--facebook--galactica-125m");
    }

    @Test
    void freshDownloadWritesTheHuggingFaceCacheLayout() throws IOException {
        ResolvedModel m = resolver().resolve(REPO);

        Path snapshot = storage().resolve("snapshots").resolve(MAIN);
        assertThat(m).isEqualTo(new ResolvedModel(snapshot, REPO, "main", MAIN));
        assertThat(Files.readString(storage().resolve("refs/main"))).isEqualTo(MAIN);
        String weightsSha = FakeHub.sha256(weights);
        assertThat(Files.readSymbolicLink(snapshot.resolve("model.safetensors")))
                .isEqualTo(Path.of("../../blobs/" + weightsSha));
        assertThat(Files.readSymbolicLink(snapshot.resolve("config.json")))
                .isEqualTo(Path.of("../../blobs/" + FakeHub.gitBlobSha1(config)));
        assertThat(Files.readSymbolicLink(snapshot.resolve("tokenizer.json")))
                .isEqualTo(Path.of("../../blobs/" + FakeHub.gitBlobSha1(tokenizer)));
        assertThat(Files.readAllBytes(snapshot.resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(Files.readAllBytes(snapshot.resolve("config.json"))).isEqualTo(config);
        try (Stream<Path> blobs = Files.list(storage().resolve("blobs"))) {
            assertThat(blobs.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    weightsSha, FakeHub.gitBlobSha1(config), FakeHub.gitBlobSha1(tokenizer));
        }
        assertThat(cache.resolve(".locks/models--facebook--galactica-125m/" + weightsSha + ".lock")).exists();
        assertThat(Files.readString(cache.resolve("CACHEDIR.TAG"))).startsWith("Signature: 8a477f597d28d172789f06886806bc55");
        // the downloaded tokenizer works
        try (TextTokenizer t = TextTokenizer.load(m.dir().resolve("tokenizer.json"))) {
            assertThat(t.vocabSize()).isEqualTo(300);
        }
        // the weights came from the CDN, the small files from the Hub
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("cdn")).extracting(FakeHub.Request::path)
                .containsExactly("/blobs/" + weightsSha);
    }

    @Test
    void secondResolveUsesNoNetwork() {
        ResolvedModel first = resolver().resolve(REPO + "@main");
        hub.clearRequests();
        ResolvedModel second = resolver().resolve(REPO);
        assertThat(second).isEqualTo(first);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void cutTransferIsResumedWithARangeRequest() throws IOException {
        hub.cutFirstTransferAfter = 100_000;
        ResolvedModel m = resolver().resolve(REPO);
        assertThat(Files.readAllBytes(m.dir().resolve("model.safetensors"))).isEqualTo(weights);
        List<FakeHub.Request> cdn = hub.requests().stream().filter(r -> r.server().equals("cdn")).toList();
        assertThat(cdn).hasSize(2);
        assertThat(cdn.get(0).range()).isNull();
        // it resumes from what it kept: the server sent 100,000 bytes before dropping the connection, but
        // how many of them reach the client before the reset depends on timing (seen: 98,224)
        assertThat(cdn.get(1).range()).matches("bytes=[1-9]\\d*-");
        long resumedAt = Long.parseLong(cdn.get(1).range().replaceAll("bytes=(\\d+)-", "$1"));
        assertThat(resumedAt).isBetween(1L, 100_000L);
        assertThat(storage().resolve("blobs/" + FakeHub.sha256(weights) + ".incomplete")).doesNotExist();
    }

    @Test
    void leftoverIncompleteFileFromAnEarlierRunIsResumed() throws IOException {
        String sha = FakeHub.sha256(weights);
        Files.createDirectories(storage().resolve("blobs"));
        Files.write(storage().resolve("blobs/" + sha + ".incomplete"), java.util.Arrays.copyOf(weights, 123_456));
        ResolvedModel m = resolver().resolve(REPO);
        assertThat(Files.readAllBytes(m.dir().resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("cdn")).extracting(FakeHub.Request::range)
                .containsExactly("bytes=123456-");
    }

    @Test
    void stalledTransferTimesOutAndResumes() throws IOException {
        hub.stallFirstTransferAfter = 50_000;
        long start = System.nanoTime();
        ResolvedModel m = resolver().resolve(REPO);
        assertThat(Files.readAllBytes(m.dir().resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("cdn")).extracting(FakeHub.Request::range)
                .containsExactly(null, "bytes=50000-");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void serverThatIgnoresRangeRestartsFromZero() throws IOException {
        hub.cutFirstTransferAfter = 100_000;
        hub.cdnIgnoresRange = true;
        ResolvedModel m = resolver().resolve(REPO);
        assertThat(Files.readAllBytes(m.dir().resolve("model.safetensors"))).isEqualTo(weights);
    }

    @Test
    void corruptDownloadIsRejectedAndDeleted() throws IOException {
        hub.corruptCdn = true;
        String sha = FakeHub.sha256(weights);
        assertThatThrownBy(() -> resolver().resolve(REPO))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("model.safetensors").hasMessageContaining("corrupt").hasMessageContaining(sha)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(storage().resolve("blobs/" + sha)).doesNotExist();
        assertThat(storage().resolve("blobs/" + sha + ".incomplete")).doesNotExist();
        assertThat(storage().resolve("snapshots/" + MAIN + "/model.safetensors")).doesNotExist();
        // a later run, with the CDN fixed, completes
        hub.corruptCdn = false;
        assertThat(Files.readAllBytes(resolver().resolve(REPO).dir().resolve("model.safetensors"))).isEqualTo(weights);
    }

    @Test
    void offlineWithAnEmptyCacheFailsInOneLine() {
        assertThatThrownBy(() -> resolver("HF_HUB_OFFLINE", "1").resolve(REPO))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining(REPO).hasMessageContaining("not in the Hugging Face cache")
                .hasMessageContaining("HF_HUB_OFFLINE")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void offlineWithAFilledCacheSucceeds() {
        ResolvedModel online = resolver().resolve(REPO);
        hub.clearRequests();
        assertThat(resolver("HF_HUB_OFFLINE", "1").resolve(REPO)).isEqualTo(online);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void offlineWithAPartialSnapshotNamesTheMissingFile() throws IOException {
        resolver().resolve(REPO);
        Files.delete(storage().resolve("snapshots/" + MAIN + "/tokenizer.json"));
        assertThatThrownBy(() -> resolver("HF_HUB_OFFLINE", "true").resolve(REPO))
                .isInstanceOf(LlmriException.class).hasMessageContaining("tokenizer.json is not in the Hugging Face cache");
    }

    @Test
    void tokenGoesToTheHubAsBearerButNotToTheCdn() {
        hub.repo(REPO).requiredToken = "hf_secret";
        resolver("HF_TOKEN", "hf_secret").resolve(REPO);
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("hub"))
                .isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer hf_secret"));
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("cdn"))
                .isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());
    }

    @Test
    void tokenFileWrittenByHfLoginIsUsed() throws IOException {
        hub.repo(REPO).requiredToken = "hf_from_file";
        Files.createDirectories(tmp.resolve("hf-home"));
        Files.writeString(tmp.resolve("hf-home/token"), "hf_from_file\n");
        resolver().resolve(REPO);
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("hub"))
                .allSatisfy(r -> assertThat(r.authorization()).isEqualTo("Bearer hf_from_file"));
    }

    @Test
    void gatedRepoWithoutTokenSaysWhatToDo() {
        hub.repo(REPO).requiredToken = "hf_secret";
        assertThatThrownBy(() -> resolver().resolve(REPO))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("gated").hasMessageContaining("HF_TOKEN").hasMessageContaining("403");
        assertThatThrownBy(() -> resolver("HF_TOKEN", "wrong").resolve(REPO))
                .isInstanceOf(LlmriException.class).hasMessageContaining("token in HF_TOKEN has no access");
    }

    @Test
    void unknownRepositoryIsAClearError() {
        assertThatThrownBy(() -> resolver().resolve("facebook/no-such-model"))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("repository facebook/no-such-model was not found").hasMessageContaining("HF_TOKEN");
    }

    @Test
    void unknownRevisionIsAClearError() {
        assertThatThrownBy(() -> resolver().resolve(REPO + "@v9"))
                .isInstanceOf(LlmriException.class).hasMessageContaining("revision 'v9' was not found in " + REPO);
    }

    @Test
    void missingRequiredFileIsAClearError() {
        hub.repo("org/no-tokenizer").commit(MAIN, FakeHub.files("config.json", config, false,
                "model.safetensors", weights, true)).ref("main", MAIN);
        assertThatThrownBy(() -> resolver().resolve("org/no-tokenizer"))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("tokenizer.json was not found in org/no-tokenizer@main");
    }

    @Test
    void plain404IsAClearError() {
        // an endpoint path the Hub does not serve at all (no X-Error-Code, no commit)
        HubSettings s = HubSettings.from(env("HF_ENDPOINT", hub.endpoint() + "/not-the-hub"));
        ModelResolver r = new ModelResolver(s, ModelResolver.httpClient(s), DownloadProgress.silent());
        assertThatThrownBy(() -> r.resolve(REPO))
                .isInstanceOf(LlmriException.class).hasMessageContaining("was not found (HTTP 404)");
    }

    @Test
    void tagResolvesThroughItsOwnRef() throws IOException {
        ResolvedModel m = resolver().resolve(REPO + "@v1.0");
        assertThat(m.commit()).isEqualTo(TAGGED);
        assertThat(m.revision()).isEqualTo("v1.0");
        assertThat(Files.readString(storage().resolve("refs/v1.0"))).isEqualTo(TAGGED);
        assertThat(storage().resolve("refs/main")).doesNotExist();
        // this tag has no safetensors: the snapshot falls back to pytorch_model.bin and remembers the absence
        assertThat(m.dir().resolve("pytorch_model.bin")).exists();
        assertThat(storage().resolve(".no_exist/" + TAGGED + "/model.safetensors")).exists();
        assertThat(storage().resolve(".no_exist/" + TAGGED + "/model.safetensors.index.json")).exists();
        hub.clearRequests();
        assertThat(resolver("HF_HUB_OFFLINE", "1").resolve(REPO + "@v1.0")).isEqualTo(m);
    }

    @Test
    void commitHashRevisionNeedsNoRef() {
        ResolvedModel m = resolver().resolve(REPO + "@" + TAGGED);
        assertThat(m.commit()).isEqualTo(TAGGED);
        assertThat(storage().resolve("refs")).doesNotExist();
        hub.clearRequests();
        assertThat(resolver().resolve(REPO + "@" + TAGGED)).isEqualTo(m);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void shardedSafetensorsAreFetchedWithTheirIndex() throws IOException {
        byte[] a = {1, 2, 3, 4};
        byte[] b = {5, 6, 7};
        byte[] index = """
                {"metadata": {"total_size": 7},
                 "weight_map": {"x.weight": "model-00001-of-00002.safetensors",
                                "y.weight": "model-00002-of-00002.safetensors",
                                "z.weight": "model-00001-of-00002.safetensors"}}""".getBytes(StandardCharsets.UTF_8);
        hub.repo("org/sharded").commit(MAIN, FakeHub.files("config.json", config, false, "tokenizer.json", tokenizer,
                false, "model.safetensors.index.json", index, false, "model-00001-of-00002.safetensors", a, true,
                "model-00002-of-00002.safetensors", b, true)).ref("main", MAIN);
        ResolvedModel m = resolver().resolve("org/sharded");
        assertThat(Files.readAllBytes(m.dir().resolve("model-00001-of-00002.safetensors"))).isEqualTo(a);
        assertThat(Files.readAllBytes(m.dir().resolve("model-00002-of-00002.safetensors"))).isEqualTo(b);
        hub.clearRequests();
        assertThat(resolver("HF_HUB_OFFLINE", "1").resolve("org/sharded")).isEqualTo(m);
    }

    @Test
    void shardedPytorchCheckpointsAreFetchedWithTheirIndexAsGalacticaPublishesThem() throws IOException {
        byte[] a = {1, 2, 3, 4};
        byte[] b = {5, 6, 7};
        byte[] index = """
                {"metadata": {"total_size": 7},
                 "weight_map": {"x.weight": "pytorch_model-00001-of-00002.bin",
                                "y.weight": "pytorch_model-00002-of-00002.bin"}}""".getBytes(StandardCharsets.UTF_8);
        hub.repo("org/bin-sharded").commit(MAIN, FakeHub.files("config.json", config, false, "tokenizer.json", tokenizer,
                false, "pytorch_model.bin.index.json", index, false, "pytorch_model-00001-of-00002.bin", a, true,
                "pytorch_model-00002-of-00002.bin", b, true)).ref("main", MAIN);
        ResolvedModel m = resolver().resolve("org/bin-sharded");
        assertThat(Files.readAllBytes(m.dir().resolve("pytorch_model-00001-of-00002.bin"))).isEqualTo(a);
        assertThat(Files.readAllBytes(m.dir().resolve("pytorch_model-00002-of-00002.bin"))).isEqualTo(b);
        // a shard lost from the cache is named when offline, and fetched again when online
        Files.delete(m.dir().resolve("pytorch_model-00002-of-00002.bin"));
        assertThatThrownBy(() -> resolver("HF_HUB_OFFLINE", "1").resolve("org/bin-sharded")).isInstanceOf(LlmriException.class)
                .hasMessageContaining("pytorch_model-00002-of-00002.bin");
        assertThat(Files.readAllBytes(resolver().resolve("org/bin-sharded").dir().resolve("pytorch_model-00002-of-00002.bin"))).isEqualTo(b);
        hub.clearRequests();
        assertThat(resolver("HF_HUB_OFFLINE", "1").resolve("org/bin-sharded")).isEqualTo(m);
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void indexNamingAFileOutsideTheRepoIsRefused() {
        byte[] index = "{\"weight_map\": {\"x\": \"../../../etc/passwd\"}}".getBytes(StandardCharsets.UTF_8);
        hub.repo("org/evil").commit(MAIN, FakeHub.files("config.json", config, false, "tokenizer.json", tokenizer,
                false, "model.safetensors.index.json", index, false)).ref("main", MAIN);
        assertThatThrownBy(() -> resolver().resolve("org/evil"))
                .isInstanceOf(LlmriException.class).hasMessageContaining("not a file inside the repository");
    }

    @Test
    void renamedRepositoryIsFollowedThroughARelativeRedirect() throws IOException {
        hub.rename("facebook/old-name", REPO);
        ResolvedModel m = resolver().resolve("facebook/old-name");
        assertThat(m.repoId()).isEqualTo("facebook/old-name");
        assertThat(m.commit()).isEqualTo(MAIN);
        assertThat(Files.readAllBytes(m.dir().resolve("model.safetensors"))).isEqualTo(weights);
    }

    @Test
    void unreachableEndpointNamesTheUrlInOneLine() throws IOException {
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + port;
        assertThatThrownBy(() -> resolver("HF_ENDPOINT", endpoint).resolve(REPO))
                .isInstanceOf(LlmriException.class)
                .hasMessageContaining("cannot reach " + endpoint + "/" + REPO + "/resolve/main/config.json")
                .hasMessageContaining("network").hasMessageContaining("HF_HUB_OFFLINE")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void localFolderIsUsedAsIs() throws IOException {
        Path folder = Files.createDirectories(tmp.resolve("my-model"));
        ResolvedModel m = resolver().resolve(folder.toString());
        assertThat(m).isEqualTo(ResolvedModel.folder(folder));
        assertThat(m.fromHub()).isFalse();
        assertThat(hub.requests()).isEmpty();
    }

    @Test
    void argumentThatIsNeitherFolderNorRepoIdIsRefused() {
        assertThatThrownBy(() -> resolver().resolve(tmp.resolve("missing-folder").toString()))
                .isInstanceOf(LlmriException.class).hasMessageContaining("no such folder");
        assertThatThrownBy(() -> resolver().resolve("a/b/c"))
                .isInstanceOf(LlmriException.class).hasMessageContaining("org/name[@revision]");
        assertThatThrownBy(() -> resolver().resolve("org/name@../../x"))
                .isInstanceOf(LlmriException.class).hasMessageContaining("org/name[@revision]");
    }

    @Test
    void blankArgumentMeansTheDefaultRepo() {
        assertThat(resolver().resolve((String) null).repoId()).isEqualTo(ModelResolver.DEFAULT_REPO);
    }

    @Test
    void progressBarsGoToTheGivenStream() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        resolver(DownloadProgress.consoleBars(new PrintStream(err, true, StandardCharsets.UTF_8))).resolve(REPO);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("model.safetensors").contains("100%");
    }

    @Test
    void blobSharedByTwoRevisionsIsDownloadedOnce() {
        resolver().resolve(REPO + "@main");
        resolver().resolve(REPO + "@v1.0"); // same tokenizer.json bytes
        long tokenizerGets = hub.requests().stream()
                .filter(r -> r.method().equals("GET") && r.path().endsWith("/tokenizer.json")).count();
        assertThat(tokenizerGets).isEqualTo(1);
    }

    @Test
    void emptyFilesAreCachedToo() throws IOException {
        hub.repo("org/empty").commit(MAIN, FakeHub.files("config.json", config, false, "tokenizer.json", tokenizer,
                false, "model.safetensors", new byte[0], true)).ref("main", MAIN);
        ResolvedModel m = resolver().resolve("org/empty");
        assertThat(m.dir().resolve("model.safetensors")).isEmptyFile();
    }

    @Test
    void sizeLeftUnannouncedIsLearnedFromTheTransfer() throws IOException {
        hub.sizesUnannounced = true;
        ResolvedModel m = resolver().resolve(REPO);
        assertThat(Files.readAllBytes(m.dir().resolve("model.safetensors"))).isEqualTo(weights);
    }

    @Test
    void sizeLeftUnannouncedStillResumesAfterACut() throws IOException {
        hub.sizesUnannounced = true;
        hub.cutFirstTransferAfter = 70_000;
        ResolvedModel m = resolver().resolve(REPO);
        assertThat(Files.readAllBytes(m.dir().resolve("model.safetensors"))).isEqualTo(weights);
        // chunked: the client keeps the whole chunks it received before the cut and resumes after them
        List<String> ranges = hub.requests().stream().filter(r -> r.server().equals("cdn")).map(FakeHub.Request::range)
                .toList();
        assertThat(ranges).hasSize(2);
        assertThat(ranges.get(0)).isNull();
        assertThat(ranges.get(1)).matches("bytes=[1-9]\\d*-");
    }

    @Test
    void leftoverIncompleteFileThatIsAlreadyWholeNeedsNoTransfer() throws IOException {
        String sha = FakeHub.sha256(weights);
        Files.createDirectories(storage().resolve("blobs"));
        Files.write(storage().resolve("blobs/" + sha + ".incomplete"), weights);
        resolver().resolve(REPO);
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("cdn")).isEmpty();

        // when the size is not announced, the CDN's 416 answer tells that nothing is missing
        hub.sizesUnannounced = true;
        Path otherCache = tmp.resolve("cache2");
        Files.createDirectories(otherCache.resolve("models--facebook--galactica-125m/blobs"));
        Files.write(otherCache.resolve("models--facebook--galactica-125m/blobs/" + sha + ".incomplete"), weights);
        hub.clearRequests();
        ResolvedModel m = resolver("HF_HUB_CACHE", otherCache.toString()).resolve(REPO);
        assertThat(Files.readAllBytes(m.dir().resolve("model.safetensors"))).isEqualTo(weights);
        assertThat(hub.requests()).filteredOn(r -> r.server().equals("cdn")).extracting(FakeHub.Request::range)
                .containsExactly("bytes=" + weights.length + "-");
    }
}
