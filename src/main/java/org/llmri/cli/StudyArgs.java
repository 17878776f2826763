package org.llmri.cli;

import java.nio.file.Path;
import org.llmri.LlmriException;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The study a command runs: a YAML file or a built-in paradigm, with the model optionally overridden. */
final class StudyArgs {
    @Parameters(index = "0", arity = "0..1", paramLabel = "STUDY.yaml", description = "Study file (see 'llmri paradigm show').")
    Path file;

    @Option(names = "--paradigm", description = "A built-in paradigm instead of a study file (galactica-fmri).")
    String paradigm;

    @Option(names = "--model", description = "Model folder or Hugging Face repo id[@revision]; overrides the study's.")
    String model;

    /** The value of {@code --store}. */
    static org.llmri.paradigm.StorageDtype store(String s) {
        var d = org.llmri.paradigm.StorageDtype.parse(s.strip().toLowerCase(java.util.Locale.ROOT));
        if (d == null) throw new LlmriException("--store: expected f32, f16 or none, got '" + s + "'");
        return d;
    }

    boolean given() {
        return file != null || paradigm != null;
    }

    Study study() {
        if (file != null && paradigm != null) throw new LlmriException("give a study file or --paradigm, not both");
        Study study;
        if (file != null) study = Study.load(file);
        else if (paradigm != null) study = Paradigms.builtin(paradigm);
        else throw new LlmriException("give a study file (STUDY.yaml) or --paradigm NAME (see 'llmri paradigm list')");
        return model == null ? study : study.withModel(model);
    }
}
