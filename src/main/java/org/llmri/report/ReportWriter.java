package org.llmri.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.llmri.LlmriException;
import org.llmri.io.AtomicFile;
import org.llmri.io.Tsv;
import org.llmri.network.Decoding;
import org.llmri.network.Network;
import org.llmri.network.Overlap;
import org.llmri.network.Repeatability;
import org.llmri.network.UnitTable;

/**
 * Writes the study report: {@code report.html} (self-contained: figures embedded as PNG data URIs,
 * plain CSS, no scripts, nothing fetched), {@code figures/*.png} and {@code *.svg}, and
 * {@code tables/*.tsv}. Sections carry ids ({@link #SECTIONS}); opening {@code report.html#only-ID}
 * shows that section alone, which is how per-section screenshots are taken.
 */
public final class ReportWriter {
    private ReportWriter() {}

    /** Rows in each task's peak-unit table. */
    static final int PEAKS = 8;

    /** Section ids in page order; a section whose data is absent is left out. */
    public static final List<String> SECTIONS = List.of("findings", "summary", "methods", "design", "maps", "overlap", "repeatability", "decoding",
            "timecourses", "samples", "causal", "files");

    /** Writes the report into {@code outDir}; returns the path of report.html. */
    public static Path write(Path outDir, ReportModel model) {
        Path figures = outDir.resolve("figures"), tables = outDir.resolve("tables");
        try {
            Files.createDirectories(figures);
            Files.createDirectories(tables);
        } catch (IOException e) {
            throw new LlmriException(outDir + ": cannot create the report folders (" + AtomicFile.describe(e) + ")", e);
        }
        Page page = new Page(outDir, model);
        String html = page.render();
        Path report = outDir.resolve("report.html");
        AtomicFile.writeString(report, html);
        return report;
    }

    /** Everything written while rendering one report. */
    private static final class Page {
        final Path out, figures, tables;
        final ReportModel m;
        final List<String> tableFiles = new ArrayList<>();
        final List<String> figureFiles = new ArrayList<>();

        Page(Path out, ReportModel m) {
            this.out = out;
            this.figures = out.resolve("figures");
            this.tables = out.resolve("tables");
            this.m = m;
        }

        String render() {
            List<String[]> sections = new ArrayList<>(); // id, heading, body
            if (!m.findings().isEmpty()) sections.add(new String[] {"findings", "Findings", findings()});
            sections.add(new String[] {"summary", "Study summary", summary()});
            sections.add(new String[] {"methods", "Methods", "<p class=\"methods\">" + Html.escape(m.methods()) + "</p>\n"});
            if (m.designMatrixPng() != null) sections.add(new String[] {"design", "Design matrix", design()});
            if (!m.maps().isEmpty()) sections.add(new String[] {"maps", "Activation maps and networks", maps()});
            if (m.overlap() != null) sections.add(new String[] {"overlap", "Network overlap", overlap()});
            if (m.repeatability() != null) sections.add(new String[] {"repeatability", "Repeatability across runs", repeatability()});
            if (m.decoding() != null) sections.add(new String[] {"decoding", "Decoding the task", decoding()});
            if (!m.timeCourses().isEmpty()) sections.add(new String[] {"timecourses", "Time courses of the strongest units", timeCourses()});
            if (!m.samples().isEmpty()) sections.add(new String[] {"samples", reading() ? "Prompts read" : "Generated text", samples()});
            // lesion and steer write STUDY/causal beside STUDY/report; they also splice this section in after each run
            Path causal = out.toAbsolutePath().getParent() == null ? null : out.toAbsolutePath().getParent().resolve("causal");
            boolean hasCausal = causal != null && CausalSection.present(causal);
            if (hasCausal) sections.add(new String[] {"causal", "Causal tests", null});
            sections.add(new String[] {"files", "Files", files()});

            StringBuilder sb = new StringBuilder();
            sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                    .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                    .append("<link rel=\"icon\" href=\"data:,\">\n")
                    .append("<title>").append(Html.escape(m.title())).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
            sb.append("<header class=\"top\"><div class=\"wrap\"><div class=\"brand\">llmri report</div><h1>").append(Html.escape(m.title()))
                    .append("</h1>\n<nav>");
            for (String[] s : sections) sb.append("<a href=\"#").append(s[0]).append("\">").append(s[1]).append("</a>");
            sb.append("</nav></div></header>\n<main class=\"wrap\">\n");
            for (String[] s : sections) {
                if (s[0].equals("causal")) {
                    sb.append(CausalSection.section(causal));
                    continue;
                }
                sb.append("<section id=\"").append(s[0]).append("\"><a class=\"solo\" id=\"only-").append(s[0]).append("\"></a>\n<h2>")
                        .append(s[1]).append("</h2>\n").append(s[2]).append("</section>\n");
            }
            sb.append("</main>\n<footer class=\"wrap\">Written by llmri. Figures are also in <code>figures/</code> as PNG and SVG; ")
                    .append("tables in <code>tables/</code> as TSV.</footer>\n</body>\n</html>\n");
            return sb.toString();
        }

        // ------------------------------------------------------------ sections

        /** The paper's claims first: each with its test, its statistic and a verdict. */
        String findings() {
            Tsv.write(tables.resolve("findings.tsv"), List.of("claim", "test", "statistic", "verdict"),
                    m.findings().stream().map(f -> List.<Object>of(f.claim(), f.test(), f.statistic(), f.verdict())).toList());
            tableFiles.add("findings.tsv");
            List<List<String>> rows = new ArrayList<>();
            for (ReportModel.Finding f : m.findings()) {
                String cls = f.supported() == null ? "untestable" : f.supported() ? "yes" : "no";
                rows.add(List.of("<b>" + Html.escape(f.claim()) + "</b>", Html.escape(f.test()), Html.escape(f.statistic()),
                        "<span class=\"verdict " + cls + "\">" + Html.escape(f.verdict()) + "</span>"));
            }
            return "<p class=\"note\">The paper's four claims, each with the test that ran on this study and what it measured.</p>\n"
                    + Html.table(List.of("claim", "test", "measured", "verdict"), rows, -1, null);
        }

        String summary() {
            List<List<String>> rows = new ArrayList<>();
            for (ReportModel.Entry e : m.summary()) rows.add(List.of(Html.escape(e.key()), Html.escape(e.value())));
            Tsv.write(tables.resolve("study_summary.tsv"), List.of("key", "value"),
                    m.summary().stream().map(e -> List.<Object>of(e.key(), e.value())).toList());
            tableFiles.add("study_summary.tsv");
            return Html.table(List.of("", ""), rows, -1, "kv");
        }

        String design() {
            byte[] png;
            try {
                png = Files.readAllBytes(m.designMatrixPng());
            } catch (IOException e) {
                throw new LlmriException(m.designMatrixPng() + ": cannot read the design matrix image (" + AtomicFile.describe(e) + ")", e);
            }
            if (png.length < 8 || (png[0] & 0xff) != 0x89 || png[1] != 'P' || png[2] != 'N' || png[3] != 'G') {
                throw new LlmriException(m.designMatrixPng() + ": not a PNG image");
            }
            AtomicFile.write(figures.resolve("design_matrix.png"), o -> o.write(png));
            figureFiles.add("design_matrix.png");
            return "<p class=\"note\">One row per time point, one column per regressor, as the GLM fitted it.</p>\n"
                    + "<figure><img class=\"design\" src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png)
                    + "\" alt=\"design matrix\"></figure>\n";
        }

        String maps() {
            UnitTable units = m.units();
            double vmax = colourLimit(m.maps());
            List<Network> networks = m.maps().stream().map(ReportModel.TaskMap::network).toList();
            Network.writeSizes(tables.resolve("network_sizes.tsv"), networks, units);
            tableFiles.add("network_sizes.tsv");
            StringBuilder sb = new StringBuilder();
            sb.append("<p class=\"note\">Each map shows the z value of task &gt; control per unit: rows are depths in the model, ")
                    .append("columns group units by tap kind, and within a tap its units are pooled into at most ").append(Figures.MAX_BINS)
                    .append(" bins showing the z of largest magnitude. Red: more active during the task than the control; blue: less; ")
                    .append("faded: no unit of the bin is in the network; grey: no such tap at that depth. All maps share one colour scale (&plusmn;").append(Html.num(vmax, 1))
                    .append("). Networks are thresholded at ").append(Html.escape(m.threshold())).append(".</p>\n");
            sb.append(Html.table(List.of("task", "positive units", "negative units", "share of units"), m.maps().stream().map(t -> List.of(
                    "<a href=\"#map-" + slug(t.task()) + "\">" + Html.escape(t.task()) + "</a>", Integer.toString(t.network().positiveCount()),
                    Integer.toString(t.network().negativeCount()),
                    String.format(Locale.ROOT, "%.2f%%", 100.0 * (t.network().positiveCount() + t.network().negativeCount()) / units.size())))
                    .toList(), 1, null));
            for (ReportModel.TaskMap t : m.maps()) {
                String slug = slug(t.task());
                sb.append("<article class=\"task\" id=\"map-").append(slug).append("\">\n<h3>").append(Html.escape(t.task())).append("</h3>\n");
                if (t.stats() != null) sb.append(threshold(t));
                sb.append(img(Figures.activationMap("map_" + slug, t.task(), t.z(), t.network(), units, vmax)));
                sb.append("<div class=\"row\">\n<div>").append(img(Figures.sizesByLevel("network_sizes_" + slug, t.task(), levelSizes(t.network(), units))))
                        .append("</div>\n<div class=\"grow\"><h4>Network size per tap kind</h4>\n");
                List<List<String>> rows = new ArrayList<>();
                for (Network.GroupSize s : t.network().sizesByKind(units)) {
                    rows.add(List.of(Html.escape(s.group()), Integer.toString(s.units()), Integer.toString(s.positive()),
                            Integer.toString(s.negative()), String.format(Locale.ROOT, "%.1f%%", 100 * (s.positiveFraction() + s.negativeFraction()))));
                }
                sb.append(Html.table(List.of("kind", "units", "positive", "negative", "in network"), rows, 1, "compact")).append("</div>\n");
                sb.append("<div class=\"grow\"><h4>Peak units</h4>\n").append(peakUnits(t, units)).append("</div>\n</div>\n");
                sb.append("</article>\n");
            }
            return sb.toString();
        }

        /** The map's threshold beside its peak: a reader who sees a large peak and an empty network sees why. */
        static String threshold(ReportModel.TaskMap t) {
            ReportModel.MapStats s = t.stats();
            double peak = 0;
            for (double v : t.z()) if (Double.isFinite(v)) peak = Math.max(peak, Math.abs(v));
            boolean passes = Double.isFinite(s.criticalZ()) && peak >= s.criticalZ() && !t.network().isEmpty();
            StringBuilder sb = new StringBuilder("<p class=\"threshold\">");
            sb.append(Html.escape(s.test())).append("; ").append(Html.escape(s.correction())).append(": critical |t| ")
                    .append(Double.isFinite(s.criticalT()) ? Html.num(s.criticalT(), 2) : "none reachable").append(" (|z| ")
                    .append(Double.isFinite(s.criticalZ()) ? Html.num(s.criticalZ(), 2) : "&ndash;").append("), df ").append(Html.num(s.dof(), 0));
            if (s.permutations() > 0) {
                sb.append(", ").append(s.permutations()).append(" label permutations of ").append(String.format(Locale.ROOT, "%.3g", s.distinctLabelings()))
                        .append(" distinct, smallest reachable p ").append(String.format(Locale.ROOT, "%.2g", s.minP()));
            }
            sb.append(". Peak |z| ").append(Html.num(peak, 2)).append(passes ? " passes." : " does not pass.");
            if (Double.isFinite(s.detectable())) {
                sb.append(" This design detects an effect of ").append(Html.num(s.detectable(), 2))
                        .append(" between-prompt SDs with 80% power.");
            }
            int n = t.z().length;
            sb.append("<br><span class=\"quality\">Data quality: ").append(s.nanUnits()).append(" units with NaN (")
                    .append(String.format(Locale.ROOT, "%.2f%%", 100.0 * s.nanUnits() / n)).append("), ").append(s.constantUnits())
                    .append(" constant units (").append(String.format(Locale.ROOT, "%.2f%%", 100.0 * s.constantUnits() / n))
                    .append("), never in a network.</span></p>\n");
            return sb.toString();
        }

        /** The units of largest |z| (as a GLM report lists cluster peaks): where they are, their z, effect and whether they pass. */
        static String peakUnits(ReportModel.TaskMap t, UnitTable units) {
            double[] z = t.z();
            int[] top = java.util.stream.IntStream.range(0, z.length).filter(u -> Double.isFinite(z[u])).boxed()
                    .sorted(java.util.Comparator.comparingDouble((Integer u) -> -Math.abs(z[u])).thenComparingInt(u -> u))
                    .limit(PEAKS).mapToInt(Integer::intValue).toArray();
            ReportModel.MapStats s = t.stats();
            List<List<String>> rows = new ArrayList<>();
            for (int u : top) {
                UnitTable.Tap tap = units.tapOf(u);
                String sign = t.network().positive().get(u) ? "positive" : t.network().negative().get(u) ? "negative" : "&ndash;";
                List<String> row = new ArrayList<>(List.of(Html.escape(tap.name()), Integer.toString(units.indexOf(u)), Integer.toString(u), sign,
                        Html.num(z[u], 2)));
                if (s != null) {
                    row.add(s.effect() == null ? "" : String.format(Locale.ROOT, "%.3g", s.effect()[u]));
                    row.add(s.standardized() == null ? "" : Html.num(s.standardized()[u], 2));
                    row.add(s.corrected() == null ? "" : String.format(Locale.ROOT, "%.3g", s.corrected()[u]));
                    boolean in = t.network().positive().get(u) || t.network().negative().get(u);
                    row.add(in ? "<b>yes</b>" : "no");
                }
                rows.add(row);
            }
            List<String> head = s == null ? List.of("tap", "index", "unit", "network", "z")
                    : List.of("tap", "index", "unit", "network", "z", "effect", "effect (prompt SDs)", "corrected p", "passes");
            return Html.table(head, rows, 1, "compact");
        }

        /** Sizes per level, labelled as the maps label their rows ("layer 3"). */
        static List<Network.GroupSize> levelSizes(Network n, UnitTable units) {
            List<Network.GroupSize> raw = n.sizesByLevel(units), out = new ArrayList<>();
            for (int i = 0; i < raw.size(); i++) {
                Network.GroupSize s = raw.get(i);
                out.add(new Network.GroupSize(Figures.levelLabel(units.levels().get(i)), s.units(), s.positive(), s.negative()));
            }
            return out;
        }

        /** One colour limit for every map: the largest |z| over all maps, rounded up, so no peak is clipped. */
        static double colourLimit(List<ReportModel.TaskMap> maps) {
            double[] all = maps.stream().flatMapToDouble(t -> Arrays.stream(t.z())).filter(Double::isFinite).map(Math::abs).sorted().toArray();
            if (all.length == 0) return 1;
            double q = all[all.length - 1];
            double step = Ticks.niceStep(Math.max(q, 1) / 5);
            return Math.max(1, Math.ceil(q / step) * step);
        }

        String overlap() {
            Overlap.Result r = m.overlap();
            r.writeTsv(tables);
            tableFiles.add("overlap.tsv");
            tableFiles.add("overlap_by_layer.tsv");
            List<Network> networks = new ArrayList<>();
            for (String task : r.tasks()) {
                networks.add(m.maps().stream().filter(t -> t.task().equals(task)).map(ReportModel.TaskMap::network).findFirst()
                        .orElseThrow(() -> new LlmriException("report: overlap lists task " + task + " that has no map")));
            }
            StringBuilder sb = new StringBuilder();
            sb.append("<p class=\"note\">Dice = 2|A&cap;B| / (|A| + |B|). ").append(Html.escape(r.nullModel()))
                    .append(" (").append(r.settings().permutations()).append(" permutations); <b>*</b> marks pairs whose ")
                    .append("overlap exceeds chance (Benjamini&ndash;Hochberg, q = ").append(Html.num(r.settings().q(), 3))
                    .append("). The diagonal gives each network's size.</p>\n");
            for (Network.Sign sign : Network.Sign.values()) {
                var best = r.mostOverlapping(sign);
                if (networks.stream().allMatch(n -> n.size(sign) == 0)) continue;
                if (best.isEmpty() || best.get().observed().intersection() == 0) {
                    sb.append("<p class=\"finding\">No two ").append(sign.label()).append(" networks share a unit.</p>\n");
                    continue;
                }
                best.ifPresent(p -> sb.append("<p class=\"finding\">Largest overlap of ").append(sign.label()).append(" networks: <b>")
                        .append(Html.escape(p.taskA())).append("</b> and <b>").append(Html.escape(p.taskB())).append("</b>, Dice ")
                        .append(Html.num(p.observed().dice(), 3)).append(" (").append(p.observed().intersection()).append(" shared units; chance ")
                        .append(Html.num(p.nullMeanDice(), 3)).append(", p ").append(p.testable() ? pText(p.p()) : "not testable").append(p.exceedsChance() ? ", exceeds chance" : ", not above chance")
                        .append(").</p>\n"));
            }
            sb.append("<div class=\"row\">");
            for (Network.Sign sign : Network.Sign.values()) {
                boolean any = networks.stream().anyMatch(n -> n.size(sign) > 0);
                if (!any && sign == Network.Sign.NEGATIVE) continue;
                sb.append("<div>").append(img(Figures.overlapMatrix("overlap_" + sign.label(), r, sign, networks))).append("</div>");
            }
            sb.append("</div>\n");
            sb.append(Html.table(List.of("task A", "task B", "sign", "|A|", "|B|", "shared", "Dice", "Jaccard", "overlap coef.", "chance Dice",
                    "p", "exceeds chance"), r.overall().stream().map(p -> overlapRow(p, false)).toList(), 3, null));
            long testableLayers = r.byLevel().stream().filter(Overlap.Pair::testable).count();
            double smallest = 1.0 / (r.settings().permutations() + 1);
            if (testableLayers > 0 && smallest > r.settings().q() / testableLayers) {
                sb.append("<p class=\"note\">Per layer: with ").append(r.settings().permutations()).append(" permutations the smallest p is ")
                        .append(String.format(Locale.ROOT, "%.2g", smallest)).append(", above the first Benjamini&ndash;Hochberg step q/m = ")
                        .append(String.format(Locale.ROOT, "%.2g", r.settings().q() / testableLayers)).append(" over ").append(testableLayers)
                        .append(" testable rows, so a single layer can exceed chance only together with many others; run more permutations ")
                        .append("(--permutations) to test layers one by one.</p>\n");
            }
            sb.append("<details><summary>Per layer (").append(r.byLevel().size()).append(" rows)</summary>\n")
                    .append(Html.table(List.of("task A", "task B", "sign", "layer", "|A|", "|B|", "shared", "Dice", "Jaccard", "overlap coef.",
                            "chance Dice", "p", "exceeds chance"), r.byLevel().stream().map(p -> overlapRow(p, true)).toList(), 4, "compact"))
                    .append("</details>\n");
            return sb.toString();
        }

        static List<String> overlapRow(Overlap.Pair p, boolean level) {
            List<String> row = new ArrayList<>(List.of(Html.escape(p.taskA()), Html.escape(p.taskB()), p.sign().label()));
            if (level) row.add(Html.escape(p.level()));
            row.addAll(List.of(Integer.toString(p.observed().sizeA()), Integer.toString(p.observed().sizeB()),
                    Integer.toString(p.observed().intersection()), Html.num(p.observed().dice(), 3), Html.num(p.observed().jaccard(), 3),
                    Html.num(p.observed().overlapCoefficient(), 3), Html.num(p.nullMeanDice(), 3),
                    p.testable() ? pText(p.p()) : "not testable", !p.testable() ? "not testable (empty network)" : p.exceedsChance() ? "<b>yes</b>" : "no"));
            return row;
        }

        String repeatability() {
            Repeatability.Result r = m.repeatability();
            r.writeTsv(tables);
            tableFiles.add("repeatability.tsv");
            tableFiles.add("repeatability_summary.tsv");
            StringBuilder sb = new StringBuilder();
            sb.append("<p class=\"note\">Pairs of runs of the same task (different prompts) against pairs of runs of different tasks with ")
                    .append("the same run number. p: permutation of task labels among runs with the same run number (")
                    .append(r.settings().permutations()).append(" permutations).</p>\n");
            sb.append(img(Figures.repeatability("repeatability", r)));
            sb.append(Html.table(List.of("measure", "mean within task", "mean between tasks", "pairs within", "pairs between", "p"),
                    r.summary().stream().map(s -> List.of(s.measure().equals(Repeatability.DICE) ? "Dice of positive networks" : "Pearson r of z maps",
                            Html.num(s.meanWithin(), 3), Html.num(s.meanBetween(), 3), Integer.toString(s.nWithin()), Integer.toString(s.nBetween()),
                            pText(s.p()))).toList(), 1, null));
            sb.append("<details><summary>All pairs (").append(r.pairs().size()).append(")</summary>\n")
                    .append(Html.table(List.of("run A", "run B", "relation", "Dice positive", "Dice negative", "Pearson r"),
                            r.pairs().stream().map(p -> List.of(Html.escape(p.a().toString()), Html.escape(p.b().toString()),
                                    p.withinTask() ? "within" : "between", Html.num(p.dicePositive(), 3), Html.num(p.diceNegative(), 3),
                                    Html.num(p.pearsonR(), 3))).toList(), 3, "compact"))
                    .append("</details>\n");
            return sb.toString();
        }

        String decoding() {
            Decoding.Result r = m.decoding();
            r.writeTsv(tables);
            tableFiles.add("decoding.tsv");
            tableFiles.add("decoding_summary.tsv");
            for (Decoding.Score s : r.scores()) tableFiles.add("decoding_confusion_" + s.method().label() + "_" + s.level().label() + ".tsv");
            StringBuilder sb = new StringBuilder();
            sb.append("<p class=\"note\">Leave one run number out: networks and templates from the other runs; every held-out run and ")
                    .append("every held-out task block is assigned a task (a) by correlation with each task's template and (b) by the mean ")
                    .append("activation inside each task's positive network. Chance is ").append(Html.num(100.0 / r.tasks().size(), 1))
                    .append("%; p from ").append(r.settings().permutations()).append(" permutations of the training runs' task labels. ")
                    .append("The units the correlation uses are chosen on the training runs only, by a feature-selection threshold ")
                    .append("(see Methods): it screens features for the decoder and is not a test of those units.</p>\n");
            sb.append(Html.table(List.of("method", "held-out item", "items", "correct", "accuracy", "chance", "p"), r.scores().stream()
                    .map(s -> List.of(s.method() == Decoding.Method.CORRELATION ? "template correlation" : "network mean",
                            s.level().label(), Integer.toString(s.n()), Integer.toString(s.correct()), Figures.percent(s.accuracy()),
                            Figures.percent(s.chance()), pText(s.p()))).toList(), 2, null));
            sb.append("<div class=\"grid\">");
            for (Decoding.Score s : r.scores()) {
                sb.append("<div>").append(img(Figures.confusion("confusion_" + s.method().label() + "_" + s.level().label(), s, r.tasks())))
                        .append("</div>");
            }
            sb.append("</div>\n");
            sb.append(Html.table(List.of("held-out run", "training runs", "units used by the correlation"), r.folds().stream().map(f -> List.of(
                    Integer.toString(f.heldOutRun()), Integer.toString(f.trainingRuns()),
                    f.featureUnits() + (f.restrictedToNetworks() ? " (union of the training networks)" : " (all units: the networks were empty)")))
                    .toList(), 1, "compact"));
            sb.append("<details><summary>Every held-out item (").append(r.items().size()).append(")</summary>\n")
                    .append(Html.table(List.of("item", "run", "block", "true task", "by correlation", "r", "by network", "mean"),
                            r.items().stream().map(i -> List.of(i.level().label(), Html.escape(i.run().toString()),
                                    i.block() == null ? "" : Html.escape(i.block()), Html.escape(i.truth()), mark(i.predictedCorrelation(), i.truth()),
                                    Html.num(i.scoreCorrelation(), 3), mark(i.predictedNetwork(), i.truth()), Html.num(i.scoreNetwork(), 3))).toList(),
                            5, "compact"))
                    .append("</details>\n");
            return sb.toString();
        }

        static String mark(String predicted, String truth) {
            if (predicted == null) return "<span class=\"wrong\">none</span>";
            return predicted.equals(truth) ? Html.escape(predicted) : "<span class=\"wrong\">" + Html.escape(predicted) + "</span>";
        }

        String timeCourses() {
            StringBuilder sb = new StringBuilder();
            sb.append("<p class=\"note\">Raw activations of the units with the largest task &gt; control z, one strip per unit on its own ")
                    .append("scale; task blocks shaded.</p>\n");
            for (ReportModel.TimeCourse tc : m.timeCourses()) {
                sb.append("<h3>").append(Html.escape(tc.run().task())).append(", run ").append(tc.run().run()).append("</h3>\n");
                sb.append(img(Figures.timeCourses("timecourse_" + slug(tc.run().task()) + "_run-" + tc.run().run(), tc)));
            }
            return sb.toString();
        }

        String samples() {
            Tsv.write(tables.resolve("samples.tsv"), List.of("task", "run", "block", "trial_type", "prompt", "generated"),
                    m.samples().stream().map(s -> List.<Object>of(s.run().task(), s.run().run(), s.block(), s.trialType(), s.prompt(), s.generated()))
                            .toList());
            tableFiles.add("samples.tsv");
            List<List<String>> rows = new ArrayList<>();
            boolean reading = reading();
            for (ReportModel.Sample s : m.samples()) {
                List<String> row = new java.util.ArrayList<>(List.of(Html.escape(s.run().task()), Integer.toString(s.run().run()), Html.escape(s.block()),
                        "<span class=\"tt " + (s.trialType().equals("task") ? "task" : "control") + "\">" + Html.escape(s.trialType()) + "</span>",
                        "<span class=\"text\">" + Html.escape(s.prompt()) + "</span>"));
                if (!reading) row.add("<span class=\"text gen\">" + Html.escape(s.generated()) + "</span>");
                rows.add(row);
            }
            if (reading) {
                return "<p class=\"note\">The prompts as read: each of a prompt's tokens is a time point of the scan.</p>\n"
                        + Html.table(List.of("task", "run", "block", "type", "prompt"), rows, -1, "samples");
            }
            return "<p class=\"note\">The prompt as given and the tokens the model generated (the time points of the scan).</p>\n"
                    + Html.table(List.of("task", "run", "block", "type", "prompt", "generated"), rows, -1, "samples");
        }

        /** A reading-mode study: no sample has generated text. */
        boolean reading() {
            return m.samples().stream().allMatch(x -> x.generated() == null || x.generated().isEmpty());
        }

        String files() {
            StringBuilder sb = new StringBuilder("<div class=\"row files\"><div><h4>Tables (TSV)</h4><ul>\n");
            for (String f : tableFiles) sb.append("<li><a href=\"tables/").append(f).append("\">").append(f).append("</a></li>\n");
            sb.append("</ul></div><div><h4>Figures (PNG, SVG)</h4><ul>\n");
            for (String f : figureFiles) {
                sb.append("<li><a href=\"figures/").append(f).append("\">").append(f).append("</a>");
                if (f.endsWith(".png") && !f.equals("design_matrix.png")) {
                    String svg = f.substring(0, f.length() - 4) + ".svg";
                    sb.append(" &middot; <a href=\"figures/").append(svg).append("\">svg</a>");
                }
                sb.append("</li>\n");
            }
            sb.append("</ul></div></div>\n");
            return sb.toString();
        }

        // ------------------------------------------------------------ helpers

        String img(Figure f) {
            byte[] png = f.write(figures);
            figureFiles.add(f.name() + ".png");
            return "<figure><img src=\"data:image/png;base64," + Base64.getEncoder().encodeToString(png) + "\" width=\"" + f.width()
                    + "\" height=\"" + f.height() + "\" alt=\"" + Html.escape(f.title()) + "\"></figure>\n";
        }

        static String pText(double p) {
            return Double.isNaN(p) ? "n/a" : p < 0.001 ? "&lt; 0.001" : Html.p(p);
        }

        /** A name safe in ids and file names; distinct task names stay distinct through the hex suffix when characters are replaced. */
        static String slug(String s) {
            String clean = s.replaceAll("[^A-Za-z0-9_-]", "_");
            return clean.equals(s) ? s : clean + "-" + Integer.toHexString(s.hashCode());
        }
    }

    static final String CSS = """
            :root { --ink:#222; --muted:#666; --line:#e2e2e2; --accent:#1f4e79; --bg:#fafafa; }
            * { box-sizing: border-box; }
            body { margin:0; font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color:var(--ink); background:#fff;
                   font-size:14px; line-height:1.5; }
            .wrap { max-width:1240px; margin:0 auto; padding:0 24px; }
            header.top { background:var(--accent); color:#fff; padding:18px 0 0; }
            header.top .brand { font-size:12px; letter-spacing:.08em; text-transform:uppercase; opacity:.8; }
            header.top h1 { margin:2px 0 12px; font-size:24px; font-weight:600; }
            nav { display:flex; flex-wrap:wrap; gap:2px 18px; padding-bottom:10px; }
            nav a { color:#fff; text-decoration:none; font-size:13px; opacity:.9; border-bottom:1px solid transparent; }
            nav a:hover { border-bottom-color:#fff; }
            section { padding:22px 0 10px; border-bottom:1px solid var(--line); }
            h2 { font-size:20px; margin:0 0 10px; color:var(--accent); }
            h3 { font-size:16px; margin:18px 0 6px; }
            h4 { font-size:13px; margin:6px 0; color:var(--muted); text-transform:uppercase; letter-spacing:.04em; }
            p.note { color:var(--muted); max-width:960px; margin:4px 0 12px; }
            p.threshold { max-width:960px; margin:4px 0 10px; }
            span.quality { color:var(--muted); font-size:90%; }
            span.verdict { font-weight:600; white-space:nowrap; }
            span.verdict.yes { color:#1a7f37; } span.verdict.no { color:#b42318; } span.verdict.untestable { color:var(--muted); }
            p.finding { background:#f3f7fb; border-left:3px solid var(--accent); padding:6px 10px; max-width:960px; }
            p.methods { max-width:960px; }
            figure { margin:8px 0 14px; }
            figure img { max-width:100%; height:auto; display:block; }
            img.design { max-height:520px; width:auto; border:1px solid var(--line); }
            .row { display:flex; flex-wrap:wrap; gap:24px; align-items:flex-start; }
            .row .grow { flex:1 1 360px; }
            .grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(420px, 1fr)); gap:8px 24px; }
            article.task { border-top:1px dashed var(--line); margin-top:10px; }
            .table-wrap { overflow-x:auto; margin:6px 0 12px; }
            table { border-collapse:collapse; font-size:13px; }
            th, td { padding:4px 10px; border-bottom:1px solid var(--line); text-align:left; vertical-align:top; }
            th { background:var(--bg); font-weight:600; border-bottom:2px solid #ccc; white-space:nowrap; }
            td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
            table.kv td:first-child { color:var(--muted); white-space:nowrap; }
            table.kv thead { display:none; }
            table.compact td, table.compact th { padding:2px 8px; font-size:12px; }
            table.samples td { max-width:460px; }
            .text { white-space:pre-wrap; font-family:"DejaVu Sans Mono", Menlo, Consolas, monospace; font-size:12px; }
            .gen { color:#0b5394; }
            .tt { font-size:11px; padding:1px 6px; border-radius:8px; background:#eee; }
            .tt.task { background:#fdebd0; }
            .wrong { color:#b03a2e; font-weight:600; }
            details { margin:6px 0 14px; }
            summary { cursor:pointer; color:var(--accent); }
            .files ul { margin:4px 0; padding-left:18px; columns:2; min-width:360px; }
            footer { color:var(--muted); font-size:12px; padding:18px 24px 36px; }
            a.solo { display:none; }
            /* report.html#only-ID shows one section alone (for per-section screenshots) */
            body:has(a.solo:target) section:not(:has(a.solo:target)) { display:none; }
            body:has(a.solo:target) section { border-bottom:none; }
            """;
}
