package org.llmri.study;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.llmri.LlmriException;
import org.llmri.dataset.BidsNames;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.RunFile;
import org.llmri.dataset.RunStatistics;
import org.llmri.dataset.Runs;
import org.llmri.glm.GlmDataset;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.glm.InferenceLevel;
import org.llmri.glm.PromptLevelDataset;
import org.llmri.glm.ProgressListener;
import org.llmri.io.AtomicFile;
import org.llmri.io.FolderLock;
import org.llmri.io.NonFinite;

/**
 * Runs the GLM over a complete scan dataset, or reuses the last run when its record ({@code glm_outputs.json},
 * written last) was made from the same scan (by checksum) with the same options and every file it lists is
 * there. The record holds paths relative to the GLM folder, so a copied or moved study reuses its own maps and
 * never reads the folder it was copied from.
 */
public final class GlmStage {
    private GlmStage() {}

    public static final String RECORD = "glm_outputs.json";

    private record Saved(String options, String scan, GlmOutputs.DatasetOutput output) {}

    public static GlmOutputs.DatasetOutput run(Path dataset, Path out, GlmOptions opts, ProgressListener progress) {
        return run(dataset, out, opts, InferenceLevel.PROMPT, PromptLevelDataset.Family.MAP, progress, false, w -> {});
    }

    /**
     * As {@link #run(Path, Path, GlmOptions, ProgressListener)}; NaN or Inf in the data is refused, or with
     * {@code maskNonFinite} the units that hold any are set to 0 in every run (so they are constant and left
     * out of the tests) and {@code warn} says how many.
     *
     * @param level  prompt-level inference (the default: valid on language-model data) or the token-level GLM
     *               (descriptive: its corrections treat tokens as independent)
     * @param family the FWER family of the prompt-level test
     */
    public static GlmOutputs.DatasetOutput run(Path dataset, Path out, GlmOptions opts, InferenceLevel level,
                                               PromptLevelDataset.Family family, ProgressListener progress,
                                               boolean maskNonFinite, java.util.function.Consumer<String> warn) {
        List<RunFile> runs = Runs.complete(dataset);
        try (FolderLock lock = FolderLock.acquire(out, "glm")) {
            Path record = out.resolve(RECORD);
            String optionsText = opts + ", inference " + level.label() + ", family " + family.label() + (maskNonFinite ? " mask-nonfinite" : "");
            String scan = fingerprint(dataset, runs);
            List<Path> listed = new ArrayList<>();
            try {
                if (Files.isRegularFile(record)) {
                    Saved saved = mapper(out, listed).readValue(record.toFile(), Saved.class);
                    if (optionsText.equals(saved.options()) && scan.equals(saved.scan()) && saved.output() != null
                            && listed.stream().allMatch(Files::exists)) {
                        return saved.output();
                    }
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable or older record: fit again
            }
            Path masked = out.resolve(".nonfinite-masked");
            // the token-level GLM on a --store none scan fits from the scanner's token statistics (GlmDataset checks them)
            boolean tokenFused = level == InferenceLevel.TOKEN && runs.stream().anyMatch(r -> !r.hasActivations());
            // the prompt-level test reads the fused statistics: when every run has them and they are finite, so was every
            // value that went into them, and the activations need no second pass
            boolean fused = level == InferenceLevel.PROMPT && runs.stream().allMatch(r -> r.hasStats() && RunStatistics.finite(r.stats()));
            List<RunFile> fitted = fused || tokenFused ? runs : checkFinite(runs, masked, maskNonFinite, warn);
            GlmOutputs.DatasetOutput result;
            try {
                Path units = dataset.resolve(Dataset.UNITS_FILE);
                result = level == InferenceLevel.PROMPT
                        ? PromptLevelDataset.run(fitted, units, out, opts, family, progress)
                        : GlmDataset.run(fitted, units, out, opts, progress);
            } finally {
                deleteTree(masked);
            }
            ObjectMapper json = mapper(out, new ArrayList<>());
            AtomicFile.write(record, o -> o.write(json.writeValueAsBytes(new Saved(optionsText, scan, result))));
            return result;
        }
    }

    /** The runs to fit: as they are when all values are finite, else refused, or masked copies under {@code masked}. */
    static List<RunFile> checkFinite(List<RunFile> runs, Path masked, boolean maskNonFinite, java.util.function.Consumer<String> warn) {
        NonFinite.Found all = null;
        RunFile firstBad = null;
        NonFinite.Found firstFound = null;
        for (RunFile r : runs) {
            NonFinite.Found f = NonFinite.scan(r.data());
            if (f.any() && firstBad == null) {
                firstBad = r;
                firstFound = f;
            }
            if (all != null && all.units().length != f.units().length) return runs; // the GLM names the mismatch
            all = all == null ? f : all.or(f);
        }
        if (all == null || !all.any()) return runs;
        if (!maskNonFinite) {
            throw new LlmriException(firstBad.data() + ": " + firstFound.unitCount() + " unit(s) hold NaN or Inf (first: unit "
                    + firstFound.firstUnit() + " at time point " + firstFound.firstRow() + "); " + all.unitCount()
                    + " unit(s) in all runs. Rerun with --mask-nonfinite to leave them out");
        }
        warn.accept("warning: " + all.unitCount() + " unit(s) hold NaN or Inf (" + all.values()
                + " values); --mask-nonfinite leaves them out of every run's tests");
        List<RunFile> out = new ArrayList<>();
        for (RunFile r : runs) {
            Path copy = masked.resolve(r.data().getFileName());
            NonFinite.mask(r.data(), copy, all.units());
            out.add(new RunFile(r.subject(), r.task(), r.run(), copy, r.events()));
        }
        return out;
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover temporary copy is harmless: it is hidden and rewritten next time
        }
    }

    /**
     * What identifies a scan's content cheaply: a SHA-256 over its small files (description, units, every
     * sidecar, which holds the weights' checksum, prompts and generated tokens, and the events) and the size of
     * each activations file.
     */
    static String fingerprint(Path dataset, List<RunFile> runs) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String f : new String[] {Dataset.DESCRIPTION_FILE, Dataset.UNITS_FILE}) digest(md, dataset.resolve(f));
            for (RunFile r : runs) {
                md.update(r.prefix().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                digest(md, r.data().resolveSibling(r.prefix() + BidsNames.SIDECAR));
                digest(md, r.events());
                for (Path f : new Path[] {r.data(), r.stats()}) {
                    md.update(Long.toString(Files.isRegularFile(f) ? Files.size(f) : -1).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new LlmriException(dataset + ": cannot read (" + AtomicFile.describe(e) + ")", e);
        }
    }

    private static void digest(MessageDigest md, Path f) throws IOException {
        if (!Files.isRegularFile(f)) {
            md.update((byte) 0);
            return;
        }
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
    }

    /** JSON with every path written relative to {@code base} and read back against it; {@code seen} collects what was read. */
    static ObjectMapper mapper(Path base, List<Path> seen) {
        Path abs = base.toAbsolutePath().normalize();
        SimpleModule m = new SimpleModule();
        m.addSerializer(Path.class, new JsonSerializer<Path>() {
            @Override
            public void serialize(Path p, JsonGenerator g, SerializerProvider s) throws IOException {
                g.writeString(abs.relativize(p.toAbsolutePath().normalize()).toString().replace('\\', '/'));
            }
        });
        m.addDeserializer(Path.class, new JsonDeserializer<Path>() {
            @Override
            public Path deserialize(JsonParser p, DeserializationContext c) throws IOException {
                String text = p.getValueAsString();
                if (text.startsWith("/") || text.contains(":")) throw new IOException("an absolute path in the record: " + text);
                Path r = text.isEmpty() ? base : base.resolve(text).normalize();
                if (!text.isEmpty()) seen.add(r);
                return r;
            }
        });
        // derived getters (e.g. isFixedEffects) are written too; reading ignores them
        return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .registerModule(m);
    }
}
