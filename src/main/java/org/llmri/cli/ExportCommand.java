package org.llmri.cli;

import java.nio.file.Path;
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
            description = "Writes each run of a scan dataset as a 4D NIfTI-1 image for nilearn. Images are float32 [x, y, z, time]; nibabel opens them too. Each voxel is one unit, at units.tsv's x, y, z: x = unit within its tap, y = tap kind, z = layer (0 embeddings, 1..L layers, L+1 final LayerNorm). Voxels with no unit are 0; the mask (uint8) is 1 where a unit sits. One volume per generated token: NIfTI has no token unit, so pixdim[4] = 1 s and RepetitionTime = 1 mean one token.  Outputs in --out: dataset_description.json sub-<s>_mask.nii.gz sub-<s>/func/sub-<s>_task-<t>_run-<n>_bold.nii.gz sub-<s>/func/sub-<s>_task-<t>_run-<n>_bold.json   (RepetitionTime, layout) sub-<s>/func/sub-<s>_task-<t>_run-<n>_events.tsv  (copied from the scan) \"bold\" is the BIDS suffix nilearn expects of a functional run. Memory holds one volume at a time. A Galactica-125M run (640 tokens, 158,208 units in a 3072 x 12 x 14 grid) is 1.3 GB as .nii, 0.39 GB as .nii.gz. ")
    static final class Nifti implements Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", paramLabel = "DIR", description = "Scan dataset (units.tsv, sub-*/func/*_activations.npy).")
        Path dataset;

        @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: DIR/nifti).")
        Path out;

        @Option(names = "--runs", split = ",", paramLabel = "task-T_run-N",
                description = "Export only these runs (comma list; task-T alone selects all its runs). Default: all.")
        List<String> runs;

        @Option(names = "--gzip", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Write .nii.gz (default; gzip level 1: about 3x smaller, 4x slower); --no-gzip writes .nii.")
        boolean gzip;

        @Override
        public Integer call() {
            Path target = out != null ? out : dataset.resolve("nifti");
            ProgressBar[] bar = new ProgressBar[1];
            NiftiExport.Result r;
            try {
                r = NiftiExport.export(dataset, new NiftiExport.Options(target, gzip, runs == null ? List.of() : runs), (what, done, total) -> {
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
