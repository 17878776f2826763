package org.llmri.model.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.llmri.LlmriException;

/**
 * Turns a {@code --model} argument into a folder of model files. A folder is used as is; a built-in name
 * ({@link BuiltInModels}, e.g. {@code all-minilm-l6-v2}) is extracted from llmri's own class path once; a repository id
 * {@code org/name[@revision]} is looked up in the Hugging Face cache and whatever is missing is downloaded
 * into it, in huggingface_hub's layout, so Python tools and llmri share one cache.
 *
 * <p>Files fetched: {@code config.json}, {@code tokenizer.json}, then the first weights that exist of
 * {@code model.safetensors}, {@code model.safetensors.index.json} (with all its shards) and
 * {@code pytorch_model.bin}. When the cached snapshot of the revision already holds them, no network is used.
 */
public final class ModelResolver {
    public static final String DEFAULT_REPO = "facebook/galactica-125m";
    public static final List<String> REQUIRED_FILES = List.of("config.json", "tokenizer.json");
    public static final String SAFETENSORS = "model.safetensors";
    public static final String SAFETENSORS_INDEX = "model.safetensors.index.json";
    public static final String PYTORCH_BIN = "pytorch_model.bin";
    /** Weight files in order of preference; the first one the repository has is used. */
    /** The sharded PyTorch checkpoint's index, as several Galactica sizes are published ({@code pytorch_model-0000k-of-0000n.bin}). */
    public static final String PYTORCH_BIN_INDEX = "pytorch_model.bin.index.json";
    public static final List<String> WEIGHT_FILES = List.of(SAFETENSORS, SAFETENSORS_INDEX, PYTORCH_BIN, PYTORCH_BIN_INDEX);

    private static final long MAX_INDEX_BYTES = 64L << 20;

    private final HubSettings settings;
    private final HubClient client;
    private final Path builtInRoot;

    /** Reads settings from {@code env} (the HF_* variables); tests pass their own map and client. */
    public ModelResolver(Map<String, String> env, HttpClient http, DownloadProgress progress) {
        this(HubSettings.from(env), http, progress, Duration.ofMillis(500), BuiltInModels.cacheRoot(env));
    }

    public ModelResolver(HubSettings settings, HttpClient http, DownloadProgress progress) {
        this(settings, http, progress, Duration.ofMillis(500));
    }

    /** {@code retryPause}: the wait before resuming a cut transfer. */
    public ModelResolver(HubSettings settings, HttpClient http, DownloadProgress progress, Duration retryPause) {
        this(settings, http, progress, retryPause, BuiltInModels.cacheRoot(System.getenv()));
    }

    /** {@code builtInRoot}: where built-in models are extracted ({@link BuiltInModels#cacheRoot}). */
    private ModelResolver(HubSettings settings, HttpClient http, DownloadProgress progress, Duration retryPause, Path builtInRoot) {
        this.builtInRoot = builtInRoot;
        this.settings = settings;
        this.client = new HubClient(settings, http, progress, retryPause);
    }

    /** The process environment, a client with the settings' timeouts, progress bars on stderr. */
    public static ModelResolver fromEnvironment() {
        HubSettings s = HubSettings.from(System.getenv());
        return new ModelResolver(s, httpClient(s), DownloadProgress.consoleBars(System.err));
    }

    /** An HTTP client as the resolver needs it: connect timeout, no automatic redirects (they are followed by hand). */
    public static HttpClient httpClient(HubSettings settings) {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.etagTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    public HubSettings settings() {
        return settings;
    }

    /**
     * Resolves a {@code --model} argument: null or blank means {@link #DEFAULT_REPO}; an existing folder is used
     * as is; otherwise it must be {@code org/name[@revision]}.
     */
    public ResolvedModel resolve(String modelArg) {
        String arg = modelArg == null || modelArg.isBlank() ? DEFAULT_REPO : modelArg.strip();
        Path path = null;
        try {
            path = Path.of(arg);
        } catch (InvalidPathException ignored) {
            // not a path on this system; may still be a repository id
        }
        if (path != null && Files.isDirectory(path)) return ResolvedModel.folder(path);
        if (BuiltInModels.isBuiltIn(arg)) return BuiltInModels.resolve(arg, builtInRoot);
        Optional<ModelRef> ref = ModelRef.parse(arg);
        boolean looksLikePath = arg.startsWith("/") || arg.startsWith(".") || arg.startsWith("~") || arg.contains("\\");
        if (ref.isEmpty() || looksLikePath) {
            if (path != null && Files.exists(path)) {
                throw new LlmriException("model " + arg + ": is a file; pass the folder that holds config.json, or a"
                        + " Hugging Face repository id such as " + DEFAULT_REPO);
            }
            throw new LlmriException("model " + arg + ": no such folder, and not a Hugging Face repository id of the"
                    + " form org/name[@revision] (for example " + DEFAULT_REPO + "@main)");
        }
        return resolve(ref.get());
    }

    /** Resolves a repository at a revision through the cache, downloading what is missing. */
    public ResolvedModel resolve(ModelRef ref) {
        HubCache cache = new HubCache(settings.cacheDir(), ref);
        Optional<String> cachedCommit = cache.commitOf(ref.revision());
        if (cachedCommit.isPresent() && missingFrom(cache, cachedCommit.get()).isEmpty()) {
            return found(cache, ref, cachedCommit.get());
        }
        if (settings.offline()) throw offline(cache, ref, cachedCommit);
        return download(cache, ref);
    }

    private ResolvedModel found(HubCache cache, ModelRef ref, String commit) {
        return new ResolvedModel(cache.snapshot(commit), ref.repoId(), ref.revision(), commit);
    }

    /** The first needed file the cached snapshot lacks, or empty when it is complete. */
    private static Optional<String> missingFrom(HubCache cache, String commit) {
        for (String f : REQUIRED_FILES) if (!cache.has(commit, f)) return Optional.of(f);
        if (cache.has(commit, SAFETENSORS)) return Optional.empty();
        if (cache.has(commit, SAFETENSORS_INDEX)) return missingShard(cache, commit, SAFETENSORS_INDEX);
        if (cache.has(commit, PYTORCH_BIN)) return Optional.empty();
        if (cache.has(commit, PYTORCH_BIN_INDEX)) return missingShard(cache, commit, PYTORCH_BIN_INDEX);
        return Optional.of("the weights (" + String.join(", ", WEIGHT_FILES) + ")");
    }

    /** The first shard an index names that the cache lacks (the index itself when it is unreadable). */
    private static Optional<String> missingShard(HubCache cache, String commit, String index) {
        try {
            for (String shard : shardsOf(cache.pointer(commit, index))) {
                if (!cache.has(commit, shard)) return Optional.of(shard);
            }
            return Optional.empty();
        } catch (LlmriException e) {
            return Optional.of(index);
        }
    }

    private LlmriException offline(HubCache cache, ModelRef ref, Optional<String> commit) {
        String advice = " and offline mode is on (HF_HUB_OFFLINE=1): run once online, or pass a local model folder";
        if (commit.isEmpty()) {
            return new LlmriException(ref + " is not in the Hugging Face cache (" + cache.storage() + ")" + advice);
        }
        String missing = missingFrom(cache, commit.get()).orElseThrow();
        return new LlmriException(ref + ": " + missing + " is not in the Hugging Face cache ("
                + cache.snapshot(commit.get()) + ")" + advice);
    }

    private ResolvedModel download(HubCache cache, ModelRef ref) {
        cache.tagCacheDir();
        // The first answer fixes the commit; every other file is asked for at that commit, so a branch that
        // moves mid-download cannot mix two versions.
        String first = REQUIRED_FILES.getFirst();
        HubClient.Found config = switch (client.lookup(ref, ref.revision(), first)) {
            case HubClient.Found f -> f;
            case HubClient.Missing m -> {
                if (m.commit() != null) {
                    cache.markMissing(m.commit(), first);
                    cache.writeRef(ref.revision(), m.commit());
                }
                throw notInRepo(ref, first);
            }
        };
        String commit = config.commit();
        cache.writeRef(ref.revision(), commit);
        ModelRef pinned = new ModelRef(ref.repoId(), commit);
        store(cache, pinned, first, config);
        for (String f : REQUIRED_FILES.subList(1, REQUIRED_FILES.size())) {
            if (!fetch(cache, pinned, f)) throw notInRepo(ref, f);
        }
        for (String w : WEIGHT_FILES) {
            if (!fetch(cache, pinned, w)) continue;
            if (w.equals(SAFETENSORS_INDEX) || w.equals(PYTORCH_BIN_INDEX)) {
                for (String shard : shardsOf(cache.pointer(commit, w))) {
                    if (!fetch(cache, pinned, shard)) throw notInRepo(ref, shard + " (listed in " + w + ")");
                }
            }
            return found(cache, ref, commit);
        }
        throw new LlmriException(ref + " (commit " + commit + ") has no weights: none of " + String.join(", ",
                WEIGHT_FILES) + " exists in the repository");
    }

    private static LlmriException notInRepo(ModelRef ref, String file) {
        return new LlmriException(file + " was not found in " + ref + ": is it a model repository of the Hugging"
                + " Face transformers kind?");
    }

    /** Makes sure the snapshot of {@code pinned.revision()} has {@code file}; false when the repo has no such file. */
    private boolean fetch(HubCache cache, ModelRef pinned, String file) {
        String commit = pinned.revision();
        if (cache.has(commit, file)) return true;
        if (cache.knownMissing(commit, file)) return false;
        return switch (client.lookup(pinned, commit, file)) {
            case HubClient.Found f -> {
                store(cache, pinned, file, f);
                yield true;
            }
            case HubClient.Missing m -> {
                cache.markMissing(commit, file);
                yield false;
            }
        };
    }

    /** Puts a found file's blob in the cache (downloading it unless present) and links it into the snapshot. */
    private void store(HubCache cache, ModelRef pinned, String file, HubClient.Found f) {
        String commit = pinned.revision();
        if (cache.has(commit, file)) return;
        Path blob = cache.blob(f.etag());
        if (!Files.isRegularFile(blob)) {
            Path lockFile = cache.lockFile(f.etag());
            try {
                Files.createDirectories(lockFile.getParent());
                Files.createDirectories(blob.getParent());
                // one download per blob across processes; a second process waits, then finds the blob
                try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = ch.lock()) {
                    if (!Files.isRegularFile(blob)) {
                        Path part = cache.incomplete(f.etag());
                        client.download(pinned, file, f, part);
                        HubCache.moveAtomically(part, blob);
                    }
                }
            } catch (OverlappingFileLockException e) {
                throw new LlmriException(blob + ": already being downloaded by another task of this process");
            } catch (IOException e) {
                throw new LlmriException(blob + ": cannot store the download (" + HubClient.reason(e) + ")", e);
            }
        }
        cache.link(commit, file, f.etag());
    }

    /** The shard files a safetensors index names in its weight_map, sorted and checked to stay inside the repo. */
    static List<String> shardsOf(Path index) {
        JsonNode root;
        try {
            if (Files.size(index) > MAX_INDEX_BYTES) {
                throw new LlmriException(index + ": " + Files.size(index) + " bytes is too large for a weight index");
            }
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new LlmriException(index + ": not a readable JSON weight index (" + HubClient.reason(e) + ")", e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new LlmriException(index + ": no weight_map object naming the shard files");
        }
        TreeSet<String> shards = new TreeSet<>();
        for (var it = map.fields(); it.hasNext(); ) {
            var e = it.next();
            String shard = e.getValue().asText("");
            if (!e.getValue().isTextual() || !isSafeRelativeFile(shard)) {
                throw new LlmriException(index + ": weight_map[\"" + e.getKey() + "\"] is not a file inside the"
                        + " repository: " + e.getValue());
            }
            shards.add(shard);
        }
        return new ArrayList<>(shards);
    }

    /** A relative path with no way out of the snapshot folder. */
    static boolean isSafeRelativeFile(String name) {
        if (name.isEmpty() || name.length() > 255 || name.startsWith("/") || name.contains("\\")) return false;
        for (String seg : name.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) return false;
        }
        return name.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }
}
