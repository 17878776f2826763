package org.llmri.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.llmri.export.NiftiExport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code llmri export}: a scan dataset in other tools' formats. */
@Command(name = "export", mixinStandardHelpOptions = true, showDefaultValues = true, versionProvider = Main.Version.class,
        description = "Write a scan dataset in formats other tools open.",
        subcommands = {ExportCommand.Nifti.class})
public final class ExportCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code llmri export nifti DIR}: one 4D NIfTI-1 per run plus a mask, for nibabel and nilearn. */
    @Command(name = "nifti", mixinStandardHelpOptions = true, showDefaultValues = true, sortOptions = false,
            description = {
                "Writes each run of a scan dataset as a 4D NIfTI-1 image that nibabel and nilearn open.",
                "Each voxel is one unit, at units.tsv's x, y, z: x = unit within its tap, y = tap kind,",
                "z = layer (0 embeddings, 1..L layers, L+1 final LayerNorm). Voxels with no unit are 0;",
                "the mask (uint8) is 1 where a unit sits. One volume per generated token: NIfTI has no",
                "token unit, so pixdim[4] = 1 second and RepetitionTime = 1 mean one token.",
                "",
                "Outputs in --out:",
                "  dataset_description.json",
                "  sub-<s>_mask.nii.gz",
                "  sub-<s>/func/sub-<s>_task-<t>_run-<n>_bold.nii.gz  (float32 [x, y, z, time])",
                "  sub-<s>/func/sub-<s>_task-<t>_run-<n>_bold.json    (RepetitionTime 1, layout)",
                "  sub-<s>/func/sub-<s>_task-<t>_run-<n>_events.tsv   (copied from the scan)",
                "\"bold\" is the BIDS suffix nilearn expects of a functional run. Memory holds one",
                "volume at a time, so any run length works; the files are large (a Galactica-125M",
                "run of 640 tokens is 1.3 GB as .nii).",
                ""})
    static final class Nifti implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Scan dataset (units.tsv, sub-*/func/*_activations.npy).")
        Path dataset;

        @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: DIR/nifti).")
        Path out;

        @Option(names = "--runs", split = ",", paramLabel = "task-T_run-N",
                description = "Export only these runs (comma list; task-T alone selects all its runs). Default: all.")
        List<String> runs = new ArrayList<>();

        @Option(names = "--gzip", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Write .nii.gz (mostly zeros, so much smaller; slower); --no-gzip writes .nii.")
        boolean gzip;

        @Override
        public Integer call() {
            Path target = out != null ? out : dataset.resolve("nifti");
            ProgressBar[] bar = new ProgressBar[1];
            NiftiExport.Result r;
            try {
                r = NiftiExport.export(dataset, new NiftiExport.Options(target, gzip, runs), (what, done, total) -> {
                    if (bar[0] == null) bar[0] = Progress.bar(what, total, " tokens", 1);
                    bar[0].stepTo(done);
                });
            } finally {
                if (bar[0] != null) bar[0].close();
            }
            var g = r.geometry();
            var o = spec.commandLine().getOut();
            o.printf("wrote %d run%s to %s: %d units in a %d x %d x %d grid%n", r.runs().size(), r.runs().size() == 1 ? "" : "s",
                    target, r.units(), g.nx(), g.ny(), g.nz());
            for (NiftiExport.RunOutput run : r.runs()) o.printf("  %s  (%d time points)%n", target.relativize(run.bold()), run.timePoints());
            for (Path m : r.masks()) o.printf("  %s%n", target.relativize(m));
            return 0;
        }
    }
}
