package org.llmri.report;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.llmri.network.Decoding;
import org.llmri.network.Network;
import org.llmri.network.Overlap;
import org.llmri.network.Repeatability;
import org.llmri.network.RunEvents;
import org.llmri.network.RunKey;
import org.llmri.network.StoufferNetworks;
import org.llmri.network.SyntheticStudy;

/** A full report model built from the synthetic study, as the study command would build it. */
final class SyntheticReport {
    private SyntheticReport() {}

    static final double Z = 3.5;

    /** Small lesion and steer tables, as llmri lesion/steer write them, in {@code causalDir} (STUDY/causal beside STUDY/report). */
    static void causalTables(Path causalDir) throws Exception {
        java.nio.file.Files.createDirectories(causalDir);
        org.llmri.io.Tsv.write(causalDir.resolve("lesion_pathology_zero.tsv"), List.of("network", "mode", "fraction", "units", "deficit_task",
                "deficit_control", "effect", "random_mean", "random_sd", "random_p05", "random_p95", "specificity", "effect_size_sd", "p_value",
                "random_sets", "threshold"), List.of(List.of("pathology", "zero", 0.5, 4, 0.1, 0.01, 0.09, 0.0, 0.01, -0.01, 0.02, 0.09, 9.0, 0.0476,
                20, "FWER 0.05"), List.of("pathology", "zero", 1, 8, 0.2, 0.01, 0.19, 0.0, 0.01, -0.01, 0.02, 0.19, 19.0, 0.0476, 20, "FWER 0.05")));
        org.llmri.io.Tsv.write(causalDir.resolve("lesion_matrix_zero.tsv"), List.of("network", "bank", "units", "deficit", "random_mean",
                "specificity_vs_control", "p_value"), List.of(List.of("pathology", "pathology", 8, 0.2, 0.0, 0.19, 0.0476),
                List.of("pathology", "control", 8, 0.01, 0.0, 0.0, 1.0)));
        org.llmri.io.Tsv.write(causalDir.resolve("steer_pathology.tsv"), List.of("network", "outcome", "alpha", "shift_network", "shift_random_mean",
                "shift_random_p05", "shift_random_p95", "p_value"), List.of(List.of("pathology", "task_logprob", 0, 0.0, 0.0, 0.0, 0.0, 1.0),
                List.of("pathology", "task_logprob", 1, 0.1, 0.01, -0.01, 0.03, 0.05), List.of("pathology", "task_logprob", 2, 0.2, 0.02, -0.02, 0.05, 0.05)));
        org.llmri.io.Tsv.write(causalDir.resolve("steer_pathology_examples.tsv"), List.of("alpha", "prompt", "generated"),
                List.of(List.of(0, "The weather today", " is mild"), List.of(2, "The weather today", " shows a tumour")));
    }

    static ReportModel model(Path dataDir, int permutations) throws Exception {
        SyntheticStudy s = SyntheticStudy.write(dataDir, 4, 3, 0.6, 42, false);
        StoufferNetworks stouffer = new StoufferNetworks(s.runZ(), Z);
        List<ReportModel.TaskMap> maps = new ArrayList<>();
        for (String task : s.tasks()) {
            List<RunKey> runs = s.runs().stream().filter(k -> k.task().equals(task)).toList();
            double[] z = stouffer.combined(runs);
            double[] effect = new double[z.length];
            for (int u = 0; u < z.length; u++) effect[u] = z[u] / 10;
            maps.add(new ReportModel.TaskMap(task, z, Network.threshold(task, z, Z), new ReportModel.MapStats("prompt-level t (60 prompts, 3 runs)",
                    "|z| >= " + Z, 3.4, Z, 54, 1000, 1.8e15, 0.001, effect, z.clone(), null, 1, 2, 1.9)));
        }
        List<Network> networks = maps.stream().map(ReportModel.TaskMap::network).toList();
        Overlap.Result overlap = Overlap.compute(networks, s.units(), new Overlap.Settings(permutations, 1, 0.05));
        Repeatability.Result rep = Repeatability.compute(s.runMaps(Z), new Repeatability.Settings(permutations, 2));
        Decoding.Result dec = Decoding.run(s.summaries(), stouffer, new Decoding.Settings(permutations, 3));
        List<ReportModel.TimeCourse> courses = new ArrayList<>();
        List<ReportModel.Sample> samples = new ArrayList<>();
        for (ReportModel.TaskMap m : maps) {
            RunKey run = new RunKey(m.task(), 1);
            RunEvents events = RunEvents.read(s.events().get(run));
            courses.add(ReportModel.TimeCourse.strongest(run, s.activations().get(run), events, m.z(), s.units(), 3));
            for (RunEvents.Block b : events.blocks()) {
                samples.add(new ReportModel.Sample(run, b.id(), b.trialType(), "Prompt <" + b.id() + "> for " + m.task() + ": \"solve\" & explain",
                        "generated tokens of block " + b.id() + "\nsecond line & <tag>"));
            }
        }
        Path design = dataDir.resolve("design.png");
        writeDesignMatrix(design);
        Methods.Facts facts = new Methods.Facts("synthetic/planted-units", "sha256:0123abcd", 300, 7, s.tasks(), 3,
                List.of("control", "task", "control", "task", "control"), SyntheticStudy.PROMPTS, SyntheticStudy.TOKENS,
                "synthetic activations with planted task units", "Per-run z maps are two-sample t values of task against control time points",
                "|z| >= " + Z + " (Stouffer-combined over runs)", "Stouffer-combined z of the training runs at |z| >= " + Z, "llmri test");
        List<ReportModel.Entry> summary = List.of(new ReportModel.Entry("model", "synthetic/planted-units"),
                new ReportModel.Entry("checksum", "sha256:0123abcd"), new ReportModel.Entry("tasks", String.join(", ", s.tasks())),
                new ReportModel.Entry("runs per task", "3"), new ReportModel.Entry("seed", "42"));
        return new ReportModel("Synthetic study with planted units", summary, design, s.units(), maps, "|z| \u2265 " + Z, overlap, rep, dec,
                courses, samples, Methods.paragraph(facts, overlap, rep, dec),
                List.of(new ReportModel.Finding("Each task has its own network", "|z| >= " + Z, maps.size() + " of " + maps.size() + " tasks", true, 0.05),
                        new ReportModel.Finding("Held-out decoding beats chance", "leave one run out", "accuracy 100%", false, 0.05),
                        new ReportModel.Finding("The pair with the most overlap shares more than chance", "Dice", "no pair", null, 0.05)));
    }

    /** A small stand-in for the GLM's design matrix image: two boxcar columns and an intercept. */
    static void writeDesignMatrix(Path file) throws Exception {
        BufferedImage img = new BufferedImage(60, 160, BufferedImage.TYPE_INT_RGB);
        for (int t = 0; t < 160; t++) {
            boolean on = (t / 32) % 2 == 1;
            for (int x = 0; x < 60; x++) {
                int v = x < 20 ? (on ? 0 : 255) : x < 40 ? (on ? 255 : 0) : 128;
                img.setRGB(x, t, new Color(v, v, v).getRGB());
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }
}
