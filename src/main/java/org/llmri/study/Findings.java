package org.llmri.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.llmri.network.Decoding;
import org.llmri.network.Network;
import org.llmri.network.Overlap;
import org.llmri.network.Repeatability;
import org.llmri.report.ReportModel;

/**
 * The paper's four claims, each with its test, the measured statistic and a verdict at alpha: distinct
 * networks per task; the most-overlapping pair against the overlap null; repeatability within tasks
 * greater than between; held-out decoding above chance. The decoding claim is judged on one analysis
 * named in advance (template correlation, held-out blocks) so that choosing among four scores does not
 * inflate it.
 */
final class Findings {
    private Findings() {}

    static List<ReportModel.Finding> of(List<ReportModel.TaskMap> maps, Overlap.Result overlap, Repeatability.Result repeatability,
                                        Decoding.Result decoding, String threshold, double alpha) {
        List<ReportModel.Finding> out = new ArrayList<>();
        int nonEmpty = 0;
        StringBuilder sizes = new StringBuilder();
        double peak = 0, critical = Double.NaN;
        for (ReportModel.TaskMap m : maps) {
            Network n = m.network();
            if (!n.isEmpty()) nonEmpty++;
            if (sizes.length() > 0) sizes.append("; ");
            sizes.append(m.task()).append(' ').append(n.positiveCount()).append('+').append(n.negativeCount()).append('-');
            for (double z : m.z()) if (Double.isFinite(z)) peak = Math.max(peak, Math.abs(z));
            if (m.stats() != null && Double.isFinite(m.stats().criticalZ())) {
                critical = Double.isNaN(critical) ? m.stats().criticalZ() : Math.min(critical, m.stats().criticalZ());
            }
        }
        String zs = String.format(Locale.ROOT, "; peak |z| %.2f, critical |z| %s", peak, Double.isNaN(critical) ? "none" : String.format(Locale.ROOT, "%.2f", critical));
        out.add(new ReportModel.Finding("Each task has its own network",
                "task > control per unit at " + threshold,
                nonEmpty + " of " + maps.size() + " tasks have a network (units: " + sizes + ")" + zs,
                nonEmpty == maps.size(), alpha));

        Optional<Overlap.Pair> best = overlap == null ? Optional.empty()
                : overlap.overall().stream().filter(Overlap.Pair::testable).filter(p -> p.sign() == Network.Sign.POSITIVE)
                .max(java.util.Comparator.comparingDouble(p -> p.observed().dice()));
        if (best.isEmpty() && overlap != null) {
            best = overlap.overall().stream().filter(Overlap.Pair::testable).max(java.util.Comparator.comparingDouble(p -> p.observed().dice()));
        }
        String overlapTest = overlap == null ? "no overlap analysis" : "Dice against the null: " + overlap.nullModel().replaceFirst("^The null ", "")
                + "; Benjamini-Hochberg q " + overlap.settings().q() + " over the testable pairs";
        out.add(best.map(p -> new ReportModel.Finding("The pair with the most overlap shares more than chance", overlapTest,
                String.format(Locale.ROOT, "%s & %s (%s): Dice %.3f, %d shared units, null mean Dice %.3f, p %.3g", p.taskA(), p.taskB(),
                        p.sign().label(), p.observed().dice(), p.observed().intersection(), p.nullMeanDice(), p.p()),
                p.exceedsChance(), alpha)).orElse(new ReportModel.Finding("The pair with the most overlap shares more than chance", overlapTest,
                "no pair of non-empty networks", null, alpha)));

        if (repeatability == null) {
            out.add(new ReportModel.Finding("Repeatability within tasks exceeds between tasks", "needs two or more runs per task",
                    "one run per task", null, alpha));
        } else {
            Repeatability.Summary s = repeatability.summary().stream().filter(x -> !x.measure().equals(Repeatability.DICE)).findFirst()
                    .orElse(repeatability.summary().get(0));
            String measure = s.measure().equals(Repeatability.DICE) ? "Dice of positive networks" : "Pearson r of z maps";
            out.add(new ReportModel.Finding("Repeatability within tasks exceeds between tasks",
                    measure + ", within vs between, task labels permuted among runs with the same run number",
                    String.format(Locale.ROOT, "mean within %.3f vs between %.3f, p %.3g", s.meanWithin(), s.meanBetween(), s.p()),
                    Double.isNaN(s.p()) ? null : s.p() <= alpha, alpha));
        }

        Decoding.Score score = decoding == null ? null : decoding.scores().stream()
                .filter(x -> x.method() == Decoding.Method.CORRELATION && x.level() == Decoding.Level.BLOCK).findFirst()
                .orElse(decoding.scores().isEmpty() ? null : decoding.scores().get(0));
        if (score == null) {
            out.add(new ReportModel.Finding("Held-out decoding beats chance", "needs two or more runs per task", "not run", null, alpha));
        } else {
            out.add(new ReportModel.Finding("Held-out decoding beats chance",
                    "leave one run out, template correlation, held-out task blocks (named in advance); training labels permuted",
                    String.format(Locale.ROOT, "accuracy %.1f%% (%d of %d; chance %.1f%%), p %.3g", 100 * score.accuracy(), score.correct(),
                            score.n(), 100 * score.chance(), score.p()),
                    Double.isNaN(score.p()) ? null : score.p() <= alpha, alpha));
        }
        return out;
    }
}
