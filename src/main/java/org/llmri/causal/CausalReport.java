package org.llmri.causal;

import java.nio.file.Path;
import org.llmri.report.CausalSection;

/** After each lesion or steer run: {@code causal.html} beside the tables, and the "Causal tests" section of the study's report.html. */
public final class CausalReport {
    private CausalReport() {}

    /** Rebuilds {@code dir/causal.html} from every table in {@code dir} and splices the same section into {@code study/report/report.html}. */
    public static Path write(Path study, Path dir) {
        Path page = CausalSection.writePage(dir);
        CausalSection.splice(study.resolve("report").resolve("report.html"), dir);
        return page;
    }
}
