package org.llmri.cli;

import java.nio.file.Path;
import org.llmri.LlmriException;
import org.llmri.paradigm.Paradigms;
import org.llmri.paradigm.Study;

/** The study a command runs: a YAML file or a built-in paradigm, with the model optionally overridden. */
final class StudyArgs {
    private StudyArgs() {}

    static Study study(Path file, String paradigm, String model) {
        if (file != null && paradigm != null) throw new LlmriException("give a study file or --paradigm, not both");
        Study study;
        if (file != null) study = Study.load(file);
        else if (paradigm != null) study = Paradigms.builtin(paradigm);
        else throw new LlmriException("give a study file (STUDY.yaml) or --paradigm NAME (see 'llmri paradigm list')");
        return model == null ? study : study.withModel(model);
    }
}
