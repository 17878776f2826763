package org.llmri.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import org.llmri.LlmriException;
import org.llmri.model.LoadedModel;
import org.llmri.model.tokenizer.TextTokenizer;
import org.llmri.paradigm.Study;
import org.llmri.scan.Dataset;
import org.llmri.scan.ScanListener;
import org.llmri.scan.Scanner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** {@code llmri scan}: run a study's paradigm through a model and record every time point. */
@Command(name = "scan", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Run a block-design paradigm through a model, recording the chosen taps at every generated token, into a BIDS-style dataset. A killed scan is completed with --resume DIR.")
public final class ScanCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin StudyArgs source;

    @Option(names = "--out", description = "Dataset folder to write.")
    Path out;

    @Option(names = "--resume", paramLabel = "DIR", description = "Complete the scan in DIR (its study.yaml is reused).")
    Path resume;

    @Override
    public Integer call() {
        Study study;
        Path target;
        boolean resuming = resume != null;
        if (resuming) {
            if (source.given()) throw new LlmriException("--resume takes the study from DIR/study.yaml; give no study");
            Path saved = resume.resolve(Dataset.STUDY_FILE);
            if (!Files.isRegularFile(saved)) throw new LlmriException(resume + ": no study.yaml here, so nothing to resume");
            study = Study.load(saved);
            target = resume;
        } else {
            study = source.study();
            if (out == null) throw new LlmriException("--out DIR is required");
            target = out;
        }
        if (resuming && source.model != null) study = study.withModel(source.model);
        scan(study, target, resuming, spec.commandLine().getOut());
        return 0;
    }

    /** Scans (or resumes) with a progress bar; shared with {@code llmri study}. */
    static Dataset scan(Study study, Path target, boolean resume, java.io.PrintWriter out) {
        org.llmri.model.hub.ResolvedModel resolved = Models.resolve(study.model());
        try (LoadedModel m = LoadedModel.open(resolved.dir());
             TextTokenizer tok = Models.tokenizer(resolved.dir())) {
            String sha = org.llmri.model.weights.Sha256.ofFiles(m.weights().files());
            Scanner.Subject subject = new Scanner.Subject(study.model(), resolved.revision(), resolved.commit(), sha);
            ProgressBar[] bar = new ProgressBar[1];
            ScanListener listener = new ScanListener() {
                @Override
                public void started(long total, long done) {
                    bar[0] = Progress.bar("scan", total, null, 1);
                    bar[0].stepTo(done);
                }

                @Override
                public void recorded(long n) {
                    bar[0].stepBy(n);
                }

                @Override
                public void run(String label, boolean skipped) {
                    bar[0].setExtraMessage(skipped ? label + " (done)" : label);
                }
            };
            Dataset ds;
            try {
                ds = new Scanner(m, tok, subject, listener).scan(study, target, resume);
            } finally {
                if (bar[0] != null) bar[0].close();
            }
            out.printf("wrote %s: %d runs, subject sub-%s%n", target, study.plan().runs().size(), ds.subject());
            return ds;
        }
    }
}
