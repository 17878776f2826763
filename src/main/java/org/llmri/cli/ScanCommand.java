package org.llmri.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.llmri.LlmriException;
import org.llmri.dataset.Dataset;
import org.llmri.paradigm.Study;
import org.llmri.scan.ScanListener;
import org.llmri.study.ScanStage;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code llmri scan}: run a study's paradigm through a model and record every time point. */
@Command(name = "scan", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Run a block-design paradigm through a model, recording the chosen taps at every generated token, into a BIDS-style dataset. A killed scan is completed with --resume DIR.")
public final class ScanCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin StudyArgs source;

    @Option(names = "--out", description = "Dataset folder to write.")
    Path out;

    @Option(names = "--store", paramLabel = "f32|f16|none",
            description = "How activations are stored (overrides the study's storage_dtype): f32, f16 (half the disk) or none (only the fused per-prompt statistics, which the default analysis reads). Default: the study's (f32).")
    String store;

    @Option(names = "--resume", paramLabel = "DIR", description = "Complete the scan in DIR (its study.yaml is reused).")
    Path resume;

    @Override
    public Integer call() {
        Study study;
        Path target;
        boolean resuming = resume != null;
        if (resuming) {
            if (source.given()) throw new LlmriException("--resume takes the study from DIR/study.yaml; give no study");
            study = ScanStage.saved(resume, source.model);
            if (store != null && StudyArgs.store(store) != study.storageDtype()) {
                throw new LlmriException(resume + ": was scanned with --store " + study.storageDtype().label() + "; resume it with the same");
            }
            target = resume;
        } else {
            study = source.study();
            if (store != null) study = study.withStorageDtype(StudyArgs.store(store));
            if (out == null) throw new LlmriException("--out DIR is required");
            target = out;
        }
        scan(study, target, resuming, spec.commandLine().getOut());
        return 0;
    }

    /** Scans (or resumes) with a progress bar. */
    static Dataset scan(Study study, Path target, boolean resume, java.io.PrintWriter out) {
        Dataset ds;
        try (ScanBar bar = new ScanBar()) {
            ds = ScanStage.scan(study, target, resume, bar);
        }
        out.printf("wrote %s: %d runs, subject sub-%s%n", target, study.plan().runs().size(), ds.subject());
        return ds;
    }

    /** The scan's progress bar on stderr. */
    static final class ScanBar implements ScanListener, AutoCloseable {
        private ProgressBar bar;

        @Override
        public void started(long total, long done) {
            bar = Progress.bar("scan", total, null, 1);
            bar.stepTo(done);
        }

        @Override
        public void recorded(long n) {
            bar.stepBy(n);
        }

        @Override
        public void run(String label, boolean skipped) {
            bar.setExtraMessage(Progress.extra(skipped ? label + " (done)" : label));
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
            bar = null;
        }
    }
}
