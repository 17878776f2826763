package org.llmri.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.hipparchus.distribution.continuous.NormalDistribution;
import org.llmri.LlmriException;
import org.llmri.glm.Correction;
import org.llmri.glm.GlmOptions;
import org.llmri.glm.GlmOutputs;
import org.llmri.glm.Power;
import org.llmri.io.Npy;
import org.llmri.network.BlockSummary;
import org.llmri.network.Decoding;
import org.llmri.network.Network;
import org.llmri.network.Overlap;
import org.llmri.network.Repeatability;
import org.llmri.network.RunEvents;
import org.llmri.network.RunKey;
import org.llmri.network.StoufferNetworks;
import org.llmri.network.UnitTable;
import org.llmri.paradigm.Condition;
import org.llmri.paradigm.Study;
import org.llmri.report.Methods;
import org.llmri.report.ReportModel;
import org.llmri.report.ReportWriter;
import org.llmri.dataset.Dataset;
import org.llmri.dataset.RunStatistics;

/**
 * The analysis half after the GLM: task networks from the corrected task &gt; control maps, their
 * overlap, repeatability and decoding, then the tables and the report. Reads the scan dataset and the
 * GLM's outputs from disk; writes {@code reportDir/report.html}, its figures and its tables.
 */
public final class StudyAnalysis {
    private StudyAnalysis() {}

    /** Permutation counts and the seed of every permutation test. */
    public record Settings(int permutations, long seed) {}

    /** What the analysis found and where the report is. */
    public record Result(Path report, List<Network> networks, Overlap.Result overlap, Repeatability.Result repeatability,
                         Decoding.Result decoding) {}

    public static Result run(Study study, Dataset ds, GlmOutputs.DatasetOutput glm, GlmOptions glmOptions, Path reportDir,
                             Settings settings) {
        UnitTable units = UnitTable.load(ds.units());
        Correction correction = glmOptions.corrections().get(0);
        List<String> taskOrder = study.tasks().stream().map(t -> t.id()).toList();
        Map<String, GlmOutputs.TaskOutput> byTask = new LinkedHashMap<>();
        for (String id : taskOrder) {
            for (GlmOutputs.TaskOutput t : glm.tasks()) if (t.task().equals(id)) byTask.put(id, t);
        }
        List<ReportModel.TaskMap> maps = new ArrayList<>();
        List<GlmOutputs.LevelOutput> tops = new ArrayList<>();
        List<Repeatability.RunMap> runMaps = new ArrayList<>();
        Map<RunKey, double[]> runZ = new LinkedHashMap<>();
        String thresholdWords = null;
        for (var e : byTask.entrySet()) {
            GlmOutputs.TaskOutput t = e.getValue();
            for (GlmOutputs.LevelOutput run : t.runs()) {
                Level l = level(run, correction);
                RunKey key = new RunKey(t.task(), run.run());
                runZ.put(key, l.z);
                runMaps.add(new Repeatability.RunMap(key, l.z, Network.fromMask(t.task(), l.z, l.mask)));
            }
            GlmOutputs.LevelOutput top = t.fixedEffects() != null ? t.fixedEffects() : t.runs().get(0);
            Level l = level(top, correction);
            maps.add(new ReportModel.TaskMap(t.task(), l.z, Network.fromMask(t.task(), l.z, l.mask), mapStats(top, l, glmOptions, units.size())));
            tops.add(top);
            if (thresholdWords == null) thresholdWords = describe(l.correction, glmOptions, top.inference());
        }
        if (maps.isEmpty()) throw new LlmriException(glm.outDir() + ": the GLM holds none of the study's tasks " + taskOrder);
        List<Network> networks = maps.stream().map(ReportModel.TaskMap::network).toList();
        boolean promptLevel = tops.stream().allMatch(x -> x.inference() != null && x.inference().level().equals("prompt"));

        Overlap.Settings overlapSettings = new Overlap.Settings(settings.permutations(), settings.seed(), 0.05);
        Overlap.Result overlap = promptLevel
                ? OverlapNull.compute(glm, byTask, tops, correction, glmOptions, units, overlapSettings)
                : Overlap.compute(networks, units, overlapSettings);
        boolean repeated = study.runsPerTask() >= 2;
        Repeatability.Result repeatability = repeated
                ? Repeatability.compute(runMaps, new Repeatability.Settings(settings.permutations(), settings.seed() + 1)) : null;

        // decoding: leave one run out; training networks combine the training runs' z maps (Stouffer) at a
        // Bonferroni |z| threshold, which needs no refit per fold and permutation
        double zBonferroni = new NormalDistribution().inverseCumulativeProbability(1 - 0.05 / (2.0 * units.size()));
        Decoding.Result decoding = null;
        List<BlockSummary> summaries = new ArrayList<>();
        if (repeated) {
            for (RunKey key : runZ.keySet()) {
                RunEvents ev = RunEvents.read(ds.events(key.task(), key.run()));
                // the scanner's fused statistics when the run has them: no second pass over the activations
                Path stats = ds.promptStats(key.task(), key.run());
                summaries.add(RunStatistics.current(stats, ds.activations(key.task(), key.run())) ? checked(BlockSummary.read(key, stats, ev), units.size(), stats)
                        : BlockSummary.read(key, ds.activations(key.task(), key.run()), ev, units.size()));
            }
            decoding = Decoding.run(summaries, new StoufferNetworks(runZ, zBonferroni),
                    new Decoding.Settings(settings.permutations(), settings.seed() + 2));
        }

        Path tables = reportDir.resolve("tables");
        overlap.writeTsv(tables);
        if (repeatability != null) repeatability.writeTsv(tables);
        if (decoding != null) decoding.writeTsv(tables);
        Network.writeSizes(tables.resolve("network_sizes.tsv"), networks, units);

        List<ReportModel.TimeCourse> courses = new ArrayList<>();
        for (ReportModel.TaskMap m : maps) {
            RunKey first = new RunKey(m.task(), 1);
            RunEvents ev = RunEvents.read(ds.events(m.task(), 1));
            Path stats = ds.promptStats(m.task(), 1);
            courses.add(RunStatistics.current(stats, ds.activations(m.task(), 1)) ? promptMeanCourse(first, stats, ev, m.z(), units, 3)
                    : ReportModel.TimeCourse.strongest(first, ds.activations(m.task(), 1), ev, m.z(), units, 3));
        }
        List<ReportModel.Sample> samples = samples(ds, study);
        JsonNode anySidecar = readJson(ds.sidecar(taskOrder.get(0), 1));
        String checksum = anySidecar.path("Model").path("WeightsSHA256").asText("");
        String software = anySidecar.path("GeneratedBy").asText("llmri") + " on Java " + Runtime.version().feature();

        List<ReportModel.Entry> summary = new ArrayList<>();
        summary.add(new ReportModel.Entry("Study", study.name()));
        summary.add(new ReportModel.Entry("Model", study.model()));
        summary.add(new ReportModel.Entry("Weights SHA-256", checksum));
        summary.add(new ReportModel.Entry("Units", String.format(Locale.ROOT, "%,d (%d taps; taps: %s)", units.size(), units.taps().size(),
                String.join(", ", study.taps()))));
        summary.add(new ReportModel.Entry("Tasks", String.join(", ", taskOrder)));
        summary.add(new ReportModel.Entry("Design", study.design().pattern().stream().map(Condition::label).toList() + ", "
                + study.design().promptsPerBlock() + " prompts per block, "
                + (study.acquisition().reads() ? "as many time points as each prompt has tokens" : study.generation().maxNewTokens() + " tokens per prompt")
                + ", " + study.runsPerTask() + " runs per task"));
        if (study.acquisition().reads()) {
            summary.add(new ReportModel.Entry("Acquisition", "reading: each prompt read in one forward pass, a time point per token"
                    + (study.acquisition().keepSpecialTokens() ? ", special tokens included" : ", special tokens ([CLS], [SEP], BOS) left out")));
        } else {
            summary.add(new ReportModel.Entry("Generation", generationWords(study)));
        }
        summary.add(new ReportModel.Entry(promptLevel ? "Test" : "GLM", promptLevel ? promptWords(tops.get(0).inference()) : glmWords(glmOptions)));
        summary.add(new ReportModel.Entry("Threshold", thresholdWords));
        summary.add(new ReportModel.Entry("Seeds", "study " + study.seed() + ", GLM permutations " + glmOptions.seed()
                + ", network statistics " + settings.seed() + " (" + settings.permutations() + " permutations)"));
        summary.add(new ReportModel.Entry("Software", software));

        var facts = new Methods.Facts(study.model(), checksum, units.size(), units.taps().size(), taskOrder, study.runsPerTask(),
                study.design().pattern().stream().map(Condition::label).toList(), study.design().promptsPerBlock(),
                study.acquisition().reads() ? 0 : study.generation().maxNewTokens(),
                study.acquisition().reads() ? readingWords(study) : generationWords(study),
                promptLevel ? promptWords(tops.get(0).inference()) : glmWords(glmOptions) + ". These token-level maps are descriptive: "
                        + "they treat the tokens of a prompt as independent", thresholdWords,
                String.format(Locale.ROOT, "feature selection on the training runs only: units whose Stouffer-combined training z "
                        + "exceeds |z| > %.2f (the Bonferroni value for 0.05 over %,d units, used as a screening threshold, not as a test)",
                        zBonferroni, units.size()), software);
        String methods = Methods.paragraph(facts, overlap, repeatability, decoding);
        Path design = designPng(byTask);
        List<ReportModel.Finding> findings = Findings.of(maps, overlap, repeatability, decoding, thresholdWords, glmOptions.alpha());
        ReportModel model = new ReportModel("llmri report: " + study.name(), summary, design, units, maps, thresholdWords,
                overlap, repeatability, decoding, courses, samples, methods, findings);
        Path report = ReportWriter.write(reportDir, model);
        return new Result(report, networks, overlap, repeatability, decoding);
    }

    private static BlockSummary checked(BlockSummary b, int units, Path stats) {
        if (b.units() != units) throw new LlmriException(stats + ": " + b.units() + " units, units.tsv lists " + units);
        return b;
    }

    /**
     * The strongest units' time courses from the fused statistics: each time point shows its prompt's mean
     * (a step per prompt), which is what the prompt-level test compares; no pass over the activations.
     */
    static ReportModel.TimeCourse promptMeanCourse(RunKey run, Path stats, RunEvents events, double[] z, UnitTable units, int n) {
        int[] durations = new int[events.events().size()];
        for (int p = 0; p < durations.length; p++) durations[p] = events.events().get(p).duration();
        RunStatistics st = RunStatistics.read(stats, durations);
        if (st.units() != units.size()) throw new LlmriException(stats + ": " + st.units() + " units, units.tsv lists " + units.size());
        return ReportModel.TimeCourse.strongestPromptMeans(run, events, z, units, n, st::mean);
    }

    private record Level(double[] z, boolean[] mask, GlmOutputs.CorrectionOutput correction) {}

    /** The first contrast's z map and the chosen correction's mask at one level. */
    private static Level level(GlmOutputs.LevelOutput level, Correction correction) {
        GlmOutputs.ContrastOutput c = level.contrasts().get(0);
        Path zPath = c.maps().get("z");
        if (zPath == null) throw new LlmriException(level.prefix() + ": the GLM wrote no z map");
        double[] z = Npy.readDoubles(zPath);
        GlmOutputs.CorrectionOutput chosen = null;
        for (GlmOutputs.CorrectionOutput k : c.corrections()) if (k.correction() == correction) chosen = k;
        if (chosen == null) throw new LlmriException(level.prefix() + ": the GLM wrote no " + correction.label() + " mask");
        double[] m = Npy.readDoubles(chosen.mask());
        boolean[] mask = new boolean[m.length];
        for (int i = 0; i < m.length; i++) mask[i] = m[i] != 0;
        return new Level(z, mask, chosen);
    }

    private static String describe(GlmOutputs.CorrectionOutput c, GlmOptions o, GlmOutputs.Inference inf) {
        boolean prompt = inf != null && inf.level().equals("prompt");
        String family = prompt && inf.family().equals("tasks") ? ", one family over every task's map" : "";
        return switch (c.correction()) {
            case FWE -> prompt
                    ? String.format(Locale.ROOT, "FWER %.2f, max-T step-down (Westfall-Young) over prompt-label permutations within runs "
                            + "(%d permutations, seed %d%s)", c.alpha(), o.permutations(), o.seed(), family)
                    : String.format(Locale.ROOT, "FWER %.2f, max-T permutation of prompts (%d permutations, seed %d)", c.alpha(),
                    o.permutations(), o.seed());
            case FDR -> String.format(Locale.ROOT, "FDR q %.2f (Benjamini-Hochberg on %s p)", c.alpha(), prompt ? "prompt-level" : "token-level");
            case BONFERRONI -> String.format(Locale.ROOT, "Bonferroni %.2f (on %s p)", c.alpha(), prompt ? "prompt-level" : "token-level");
            default -> String.format(Locale.ROOT, "uncorrected %s p < %.3g", prompt ? "prompt-level" : "token-level", c.alpha());
        };
    }

    /** The reading acquisition for the methods paragraph. */
    static String readingWords(Study study) {
        return "each prompt read in one forward pass from a fresh context, every one of its tokens a time point"
                + (study.acquisition().keepSpecialTokens() ? " (special tokens included)" : " (special tokens such as [CLS], [SEP] and BOS left out)");
    }

    static String generationWords(Study study) {
        var g = study.generation();
        String how = g.strategy().label().equals("greedy") ? "greedy decoding"
                : String.format(Locale.ROOT, "sampling (temperature %.2f, top-k %d, top-p %.2f)", g.temperature(), g.topK(), g.topP());
        return how + (g.suppressEos() ? " with EOS suppressed" : "") + ", " + g.maxNewTokens() + " new tokens per prompt, "
                + study.context().label() + " context per prompt";
    }

    /** The prompt-level test in words, exactly as {@link org.llmri.glm.PromptLevel} computes it. */
    static String promptWords(GlmOutputs.Inference inf) {
        return String.format(Locale.ROOT, "Prompt-level test: each unit's value per prompt is its mean over the prompt's time points; "
                + "task vs control prompts compared within each run (the runs are blocks), the per-run differences combined with weights "
                + "n1*n0/n and the variance of prompt means pooled over runs and conditions, giving a t with N - 2R = %d degrees of freedom "
                + "(%d prompts, %d of them task prompts, in %d runs); permutations shuffle the prompts' labels within each run, keeping the counts",
                (int) inf.dof(), inf.prompts(), inf.taskPrompts(), inf.runs());
    }

    /** How a map was thresholded, its effect maps and the power of its design. */
    private static ReportModel.MapStats mapStats(GlmOutputs.LevelOutput top, Level l, GlmOptions o, int units) {
        GlmOutputs.ContrastOutput c = top.contrasts().get(0);
        GlmOutputs.Inference inf = top.inference();
        double[] effect = c.maps().get("effect") != null ? Npy.readDoubles(c.maps().get("effect")) : null;
        double[] standardized = null;
        if (c.maps().get("effect") != null) {
            Path cohen = c.maps().get("effect").resolveSibling(c.maps().get("effect").getFileName().toString().replace("stat-effect", "stat-cohend"));
            if (Files.isRegularFile(cohen)) standardized = Npy.readDoubles(cohen);
        }
        double[] corrected = l.correction.adjusted() != null ? Npy.readDoubles(l.correction.adjusted()) : null;
        GlmOutputs.CorrectionOutput k = l.correction;
        if (inf == null) {
            double ct = k.correction() == org.llmri.glm.Correction.FWE ? k.threshold() : Double.NaN;
            double cz = Double.isFinite(ct) ? Math.abs(org.llmri.glm.Distributions.zFromT(ct, c.dof())) : Double.NaN;
            return new ReportModel.MapStats("token-level GLM (descriptive on language-model data)", k.correction().label() + " "
                    + k.alpha(), ct, cz, c.dof(), k.correction() == org.llmri.glm.Correction.FWE ? o.permutations() : 0, Double.NaN,
                    Double.NaN, effect, null, corrected, 0, 0, Double.NaN);
        }
        Power.Design design = new Power.Design(inf.runs(), inf.taskPrompts() / inf.runs(), (inf.prompts() - inf.taskPrompts()) / inf.runs());
        String corr = switch (k.correction()) {
            case FWE -> "FWER " + k.alpha() + " (max-T step-down" + (inf.family().equals("tasks") ? ", family: all tasks" : "") + ")";
            case FDR -> "FDR q " + k.alpha();
            case BONFERRONI -> "Bonferroni " + k.alpha();
            case NONE -> "uncorrected p " + k.alpha();
        };
        return new ReportModel.MapStats("prompt-level t (" + inf.prompts() + " prompts, " + inf.runs() + " runs)", corr, k.criticalT(),
                k.criticalZ(), inf.dof(), k.correction() == org.llmri.glm.Correction.FWE ? inf.permutations() : 0, inf.distinctLabelings(),
                k.correction() == org.llmri.glm.Correction.FWE ? inf.minP() : Double.NaN, effect, standardized, corrected, inf.nanUnits(),
                inf.constantUnits(), Power.detectable(design, units, k.alpha(), 0.8));
    }

    static String glmWords(GlmOptions o) {
        String drift = switch (o.drift()) {
            case org.llmri.glm.Drift.None n -> "no drift regressors";
            case org.llmri.glm.Drift.Polynomial p -> "polynomial drift of order " + p.order();
            case org.llmri.glm.Drift.Cosine c -> "cosine drift (cutoff " + c.cutoff() + ")";
        };
        String hrf = o.hrf() == org.llmri.glm.Hrf.NONE ? "no HRF convolution" : o.hrf().name().toLowerCase(Locale.ROOT) + " HRF";
        return String.format(Locale.ROOT, "%s noise model, %s, %s, contrast %s; fixed effects across runs",
                o.noise().label(), drift, hrf, String.join("; ", o.contrasts()));
    }

    private static Path designPng(Map<String, GlmOutputs.TaskOutput> byTask) {
        for (GlmOutputs.TaskOutput t : byTask.values()) {
            for (GlmOutputs.LevelOutput l : t.runs()) {
                if (l.design() != null) {
                    Path png = l.design().resolveSibling(l.design().getFileName().toString().replace(".tsv", ".png"));
                    if (Files.isRegularFile(png)) return png;
                }
            }
        }
        return null;
    }

    /** The first prompt of every block of each task's first run, with what the model wrote. */
    private static List<ReportModel.Sample> samples(Dataset ds, Study study) {
        List<ReportModel.Sample> out = new ArrayList<>();
        for (var task : study.tasks()) {
            JsonNode side = readJson(ds.sidecar(task.id(), 1));
            int lastBlock = -1;
            for (JsonNode p : side.path("Prompts")) {
                int block = p.path("block").asInt();
                if (block == lastBlock) continue;
                lastBlock = block;
                String type = p.path("condition").asText().equals("on") ? "task" : "control";
                out.add(new ReportModel.Sample(new RunKey(task.id(), 1), Integer.toString(block), type, p.path("text").asText(),
                        p.path("generated_text").asText()));
            }
        }
        return out;
    }

    private static JsonNode readJson(Path p) {
        try {
            return new ObjectMapper().readTree(p.toFile());
        } catch (IOException e) {
            throw new LlmriException(p + ": cannot read (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }
}
