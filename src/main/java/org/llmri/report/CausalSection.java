package org.llmri.report;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.llmri.io.AtomicFile;
import org.llmri.io.Tsv;

/**
 * The "Causal tests" section, rendered from the TSV tables that {@code llmri lesion} and {@code llmri steer} write:
 * the methods paragraph and what was run (from the tables themselves), the lesion-deficit matrix as a heat map,
 * the dissociations, every lesion table, every dose-response curve (network against the random sets' mean and 5–95%
 * band, inline SVG) and the steering examples. Self-contained HTML. It is the body of {@code causal.html}, a
 * section of the study's {@code report.html} (spliced in after each lesion or steer run, and drawn by
 * {@link ReportWriter} when the study's {@code causal/} folder has tables).
 */
public final class CausalSection {
    private CausalSection() {}

    static final String BEGIN = "<section id=\"causal\">", END = "</section><!-- /causal -->\n";

    public static final String METHODS = "Held-out passages (never read by the scan; screened against every scan bank) are read with the network's "
            + "units ablated (zero, or set to their control-block mean from the scan) or steered (alpha x (task mean - control mean) added) at "
            + "every position. Decoder outcome: mean per-token negative log-likelihood, teacher forced. Encoder outcome: minus the margin of the "
            + "mean-pooled final embedding's cosine to its own bank's centroid over the best other (centroids from the intact model). Deficit = "
            + "loss with the lesion - loss intact. Null: random unit sets of the same size, each unit matched by tap (layer and kind) and "
            + "control-variance decile, outside the network. Specificity = (deficit on task - deficit on control) - the random sets' mean of the "
            + "same; p = (1 + #random >= network) / (1 + sets), one-sided. Double dissociation: both ordered contrasts (deficit on own bank - on "
            + "the other's) beyond random sets at Benjamini-Hochberg q <= alpha over all ordered pairs.";

    /** Whether {@code dir} holds any lesion or steer table. */
    public static boolean present(Path dir) {
        return !files(dir, "lesion_").isEmpty() || !files(dir, "steer_").isEmpty();
    }

    /** The section's body (no heading): methods, what was run, tables and figures; h3 headings below. */
    public static String body(Path dir) {
        StringBuilder h = new StringBuilder();
        h.append("<p class=\"methods\">").append(esc(METHODS)).append("</p>\n").append(runs(dir));
        for (Path f : files(dir, "lesion_matrix_")) {
            h.append("<h3>Lesion-deficit matrix (").append(esc(f.getFileName().toString())).append(")</h3>").append(matrix(Tsv.read(f)));
        }
        for (Path f : files(dir, "dissociations_")) h.append("<h3>Double dissociations</h3>").append(table(Tsv.read(f)));
        for (Path f : files(dir, "lesion_")) {
            String n = f.getFileName().toString();
            if (n.startsWith("lesion_matrix_") || n.endsWith("_sets.tsv")) continue;
            h.append("<h3>").append(esc(n)).append("</h3>").append(table(Tsv.read(f)));
        }
        for (Path f : files(dir, "steer_")) {
            String n = f.getFileName().toString();
            if (n.endsWith("_sets.tsv") || n.endsWith("_examples.tsv")) continue;
            Tsv.Table t = Tsv.read(f);
            h.append("<h3>Dose-response: ").append(esc(n)).append("</h3>").append(dose(t)).append(table(t));
            Path ex = dir.resolve(n.replace(".tsv", "_examples.tsv"));
            if (Files.isRegularFile(ex)) h.append("<h4>Steering examples</h4>").append(table(Tsv.read(ex)));
        }
        return h.toString();
    }

    /** What was run, read back from the tables: each lesion's network, mode, fractions, random sets and threshold; each steer's alphas. */
    static String runs(Path dir) {
        List<String> items = new ArrayList<>();
        for (Path f : files(dir, "lesion_")) {
            String n = f.getFileName().toString();
            if (n.startsWith("lesion_matrix_") || n.endsWith("_sets.tsv")) continue;
            Tsv.Table t = Tsv.read(f);
            if (t.rows().isEmpty()) continue;
            items.add(String.format(Locale.ROOT, "lesion of network %s (%s): %s ablation at fractions %s of the network (ranked by |z|; %s units), "
                            + "%s matched random sets per fraction", first(t, "network"), first(t, "threshold"), first(t, "mode"),
                    String.join(", ", distinct(t, "fraction")), String.join(", ", distinct(t, "units")), first(t, "random_sets")));
        }
        for (Path f : files(dir, "lesion_matrix_")) {
            Tsv.Table t = Tsv.read(f);
            String mode = f.getFileName().toString().replace("lesion_matrix_", "").replace(".tsv", "");
            items.add(String.format(Locale.ROOT, "lesion-deficit matrix (%s ablation): networks %s, each measured on banks %s",
                    mode, String.join(", ", distinct(t, "network")), String.join(", ", distinct(t, "bank"))));
        }
        for (Path f : files(dir, "steer_")) {
            String n = f.getFileName().toString();
            if (n.endsWith("_sets.tsv") || n.endsWith("_examples.tsv")) continue;
            Tsv.Table t = Tsv.read(f);
            if (t.rows().isEmpty()) continue;
            Path sets = dir.resolve(n.replace(".tsv", "_sets.tsv"));
            long random = Files.isRegularFile(sets) ? Tsv.read(sets).column("set").stream().filter(s -> s.startsWith("random")).distinct().count() : 0;
            items.add(String.format(Locale.ROOT, "steering of network %s: alpha %s x (task mean - control mean), outcome %s, %d random sets steered "
                    + "by the same norm", first(t, "network"), String.join(", ", distinct(t, "alpha")), first(t, "outcome"), random));
        }
        if (items.isEmpty()) return "";
        StringBuilder b = new StringBuilder("<p>What was run (from the tables in <code>").append(esc(dir.getFileName().toString())).append("/</code>):</p><ul>");
        for (String i : items) b.append("<li>").append(esc(i)).append("</li>");
        return b.append("</ul>\n").toString();
    }

    /** Writes {@code dir/causal.html}, the section alone as a page. */
    public static Path writePage(Path dir) {
        String h = "<!doctype html><html><head><meta charset='utf-8'><title>llmri: causal tests</title><style>body{font-family:sans-serif;"
                + "max-width:1000px;margin:auto}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;"
                + "text-align:right}</style></head><body><h1>Causal tests</h1>" + body(dir) + "</body></html>\n";
        Path out = dir.resolve("causal.html");
        AtomicFile.writeString(out, h);
        return out;
    }

    /** The section as {@link ReportWriter} and {@link #splice} put it in report.html. */
    static String section(Path dir) {
        return BEGIN + "<a class=\"solo\" id=\"only-causal\"></a>\n<h2>Causal tests</h2>\n" + body(dir) + END;
    }

    /**
     * Puts the section into an existing report.html: replaces the one there, or inserts it before the Files section
     * (with its link in the navigation). Returns false when the page has no place for it (not an llmri report).
     */
    public static boolean splice(Path reportHtml, Path dir) {
        if (!Files.isRegularFile(reportHtml)) return false;
        String html;
        try {
            html = Files.readString(reportHtml);
        } catch (java.io.IOException e) {
            return false;
        }
        int a = html.indexOf(BEGIN), b = html.indexOf(END);
        String out;
        if (a >= 0 && b > a) {
            out = html.substring(0, a) + section(dir) + html.substring(b + END.length());
        } else {
            int files = html.indexOf("<section id=\"files\">"), nav = html.indexOf("<a href=\"#files\">");
            if (files < 0 || nav < 0) return false;
            out = html.substring(0, files) + section(dir) + html.substring(files);
            out = out.substring(0, nav) + "<a href=\"#causal\">Causal tests</a>" + out.substring(nav);
        }
        AtomicFile.writeString(reportHtml, out);
        return true;
    }

    private static String first(Tsv.Table t, String column) {
        return !t.hasColumn(column) ? "?" : t.rows().getFirst().get(t.columnIndex(column));
    }

    private static List<String> distinct(Tsv.Table t, String column) {
        if (!t.hasColumn(column)) return List.of("?");
        Set<String> s = new LinkedHashSet<>(t.column(column));
        return List.copyOf(s);
    }

    private static List<Path> files(Path dir, String prefix) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix) && p.toString().endsWith(".tsv")).sorted().toList();
        } catch (java.io.IOException e) {
            return List.of();
        }
    }

    private static String table(Tsv.Table t) {
        StringBuilder b = new StringBuilder("<table><tr>");
        for (String c : t.header()) b.append("<th>").append(esc(c)).append("</th>");
        b.append("</tr>");
        for (List<String> r : t.rows()) {
            b.append("<tr>");
            for (String c : r) b.append("<td>").append(esc(short4(c))).append("</td>");
            b.append("</tr>");
        }
        return b.append("</table>").toString();
    }

    /** Network x bank heat map: red = deficit, blue = improvement, scaled to the largest |deficit|. */
    private static String matrix(Tsv.Table t) {
        List<String> nets = t.column("network").stream().distinct().toList(), banks = t.column("bank").stream().distinct().toList();
        double[] d = t.numbers("deficit");
        double max = 1e-12;
        for (double v : d) if (Double.isFinite(v)) max = Math.max(max, Math.abs(v));
        StringBuilder b = new StringBuilder("<table><tr><th>network \\ bank</th>");
        for (String bank : banks) b.append("<th>").append(esc(bank)).append("</th>");
        b.append("</tr>");
        int i = 0;
        for (String n : nets) {
            b.append("<tr><th>").append(esc(n)).append("</th>");
            for (String bank : banks) {
                double v = d[i];
                double p = Double.parseDouble(t.rows().get(i).get(t.columnIndex("p_value")));
                i++;
                int a = (int) Math.round(255 * (1 - Math.min(1, Math.abs(v) / max)));
                String color = v >= 0 ? String.format(Locale.ROOT, "rgb(255,%d,%d)", a, a) : String.format(Locale.ROOT, "rgb(%d,%d,255)", a, a);
                b.append("<td style='background:").append(color).append("'>").append(String.format(Locale.ROOT, "%.4f", v))
                        .append(p <= 0.05 ? "*" : "").append("</td>");
            }
            b.append("</tr>");
        }
        return b.append("</table><p>deficit per cell; * specificity against control p &le; 0.05 (uncorrected)</p>").toString();
    }

    /** An SVG line chart: the network's shift against alpha, the random sets' mean (dashed) and 5–95% band. */
    private static String dose(Tsv.Table t) {
        double[] a = t.numbers("alpha"), n = t.numbers("shift_network"), m = t.numbers("shift_random_mean"),
                lo = t.numbers("shift_random_p05"), hi = t.numbers("shift_random_p95");
        double x0 = a[0], x1 = a[a.length - 1], y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (double[] s : new double[][] {n, m, lo, hi}) for (double v : s) if (Double.isFinite(v)) {
            y0 = Math.min(y0, v);
            y1 = Math.max(y1, v);
        }
        if (!(y1 > y0)) y1 = y0 + 1;
        if (!(x1 > x0)) x1 = x0 + 1;
        int w = 420, hgt = 240, pad = 45;
        double fx0 = x0, fx1 = x1, fy0 = y0, fy1 = y1;
        java.util.function.DoubleUnaryOperator X = v -> pad + (v - fx0) / (fx1 - fx0) * (w - 2 * pad);
        java.util.function.DoubleUnaryOperator Y = v -> hgt - pad + -(v - fy0) / (fy1 - fy0) * (hgt - 2 * pad);
        StringBuilder b = new StringBuilder("<svg role='img' width='" + w + "' height='" + hgt + "'>");
        StringBuilder band = new StringBuilder();
        for (int i = 0; i < a.length; i++) band.append(pt(X.applyAsDouble(a[i]), Y.applyAsDouble(hi[i])));
        for (int i = a.length - 1; i >= 0; i--) band.append(pt(X.applyAsDouble(a[i]), Y.applyAsDouble(lo[i])));
        b.append("<polygon fill='#ccc' points='").append(band).append("'/>");
        b.append(line(a, m, X, Y, "#666", "4,3")).append(line(a, n, X, Y, "#c00", null));
        b.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>", pad, hgt - pad, w - pad, hgt - pad));
        b.append(String.format(Locale.ROOT, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='black'/>", pad, pad, pad, hgt - pad));
        b.append(String.format(Locale.ROOT, "<text x='%d' y='%d' font-size='11'>alpha %s..%s</text>", w / 2 - 30, hgt - 10, fmt(x0), fmt(x1)));
        b.append(String.format(Locale.ROOT, "<text x='2' y='%d' font-size='11'>%s</text><text x='2' y='%d' font-size='11'>%s</text>", pad,
                fmt(y1), hgt - pad, fmt(y0)));
        b.append(String.format(Locale.ROOT, "<text x='%d' y='15' font-size='11' fill='#c00'>network</text><text x='%d' y='28' font-size='11' "
                + "fill='#666'>random sets (mean, 5-95%%)</text>", pad + 10, pad + 10));
        return b.append("</svg>").toString();
    }

    private static String line(double[] a, double[] v, java.util.function.DoubleUnaryOperator X, java.util.function.DoubleUnaryOperator Y, String color,
                               String dash) {
        StringBuilder p = new StringBuilder();
        for (int i = 0; i < a.length; i++) p.append(pt(X.applyAsDouble(a[i]), Y.applyAsDouble(v[i])));
        return "<polyline fill='none' stroke='" + color + "' stroke-width='2'" + (dash == null ? "" : " stroke-dasharray='" + dash + "'")
                + " points='" + p + "'/>";
    }

    private static String pt(double x, double y) {
        return String.format(Locale.ROOT, "%.1f,%.1f ", x, y);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }

    private static String short4(String c) {
        try {
            double v = Double.parseDouble(c);
            if (c.matches("-?\\d+")) return c;
            return String.format(Locale.ROOT, "%.4g", v);
        } catch (NumberFormatException e) {
            return c;
        }
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }

}
