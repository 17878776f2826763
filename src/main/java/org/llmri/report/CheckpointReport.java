package org.llmri.report;

import java.awt.Color;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.llmri.io.AtomicFile;
import org.llmri.report.Canvas.Anchor;

/**
 * The page of a checkpoint study: one line per task across the checkpoints for each measure (network size, Dice
 * with the final checkpoint's network, decoding accuracy), then the table itself. Self-contained: the figures are
 * inline SVG, there is no script and nothing is fetched.
 */
public final class CheckpointReport {
    private CheckpointReport() {}

    /**
     * One measure drawn as a panel.
     *
     * @param values [task][checkpoint], NaN where the measure is not defined (the point is left out)
     * @param unitRange true for a share or a Dice (axis 0..1), false for a count (axis from 0)
     */
    public record Panel(String title, String axisLabel, double[][] values, boolean unitRange) {
        public Panel {
            Objects.requireNonNull(title);
            Objects.requireNonNull(values);
        }
    }

    /** Writes the page (atomically) and returns its path. */
    public static Path write(Path file, String title, String note, List<String> checkpoints, List<String> tasks, List<Panel> panels,
                             List<String> header, List<? extends List<?>> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<link rel=\"icon\" href=\"data:,\">\n<title>")
                .append(Html.escape(title)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;color:#222;max-width:1100px;margin:2em auto;padding:0 1em}")
                .append("table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}")
                .append("td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}figure{display:inline-block;margin:0 1em 1em 0}")
                .append("\n</style>\n</head>\n<body>\n<h1>").append(Html.escape(title)).append("</h1>\n<p>").append(Html.escape(note)).append("</p>\n");
        for (Panel p : panels) sb.append("<figure>").append(stripXmlDeclaration(lines(p, checkpoints, tasks))).append("</figure>\n");
        sb.append("<h2>Table</h2>\n<table>\n<tr>");
        for (String h : header) sb.append("<th>").append(Html.escape(h)).append("</th>");
        sb.append("</tr>\n");
        for (List<?> r : rows) {
            sb.append("<tr>");
            for (Object c : r) sb.append("<td>").append(Html.escape(cell(c))).append("</td>");
            sb.append("</tr>\n");
        }
        sb.append("</table>\n</body>\n</html>\n");
        AtomicFile.writeString(file, sb.toString());
        return file;
    }

    private static String cell(Object c) {
        if (c instanceof Double d) return Html.num(d, 3);
        return String.valueOf(c);
    }

    private static String stripXmlDeclaration(String svg) {
        return svg.startsWith("<?xml") ? svg.substring(svg.indexOf('\n') + 1) : svg;
    }

    /** One line per task over the checkpoints, with a legend. */
    static String lines(Panel p, List<String> checkpoints, List<String> tasks) {
        double left = 56, top = 30, plotW = Math.max(240, 90.0 * checkpoints.size()), plotH = 200;
        double bottom = 18 + checkpoints.stream().mapToDouble(s -> Canvas.textWidth(s, Figures.SMALL, false)).max().orElse(20);
        double legendW = 24 + tasks.stream().mapToDouble(s -> Canvas.textWidth(s, Figures.SMALL, false)).max().orElse(40);
        int width = (int) Math.ceil(left + plotW + 20 + legendW), height = (int) Math.ceil(top + plotH + bottom);
        double hi = 0;
        for (double[] row : p.values()) for (double v : row) if (Double.isFinite(v)) hi = Math.max(hi, v);
        Ticks.Axis axis = p.unitRange() ? Ticks.nice(0, 1, 5) : Ticks.nice(0, Math.max(1, hi), 5);
        SvgCanvas c = new SvgCanvas(width, height);
        int n = checkpoints.size();
        java.util.function.IntToDoubleFunction xOf = i -> left + (n == 1 ? plotW / 2 : plotW * i / (n - 1));
        java.util.function.DoubleUnaryOperator yOf = v -> top + plotH * (axis.max() - v) / (axis.max() - axis.min());
        c.text(left, 16, p.title(), Figures.TITLE, Colors.INK, Anchor.START, true, false);
        for (double t : axis.ticks()) {
            double y = yOf.applyAsDouble(t);
            c.line(left, y, left + plotW, y, Colors.GRID, 0.7);
            c.text(left - 6, y + Figures.SMALL * 0.35, axis.label(t), Figures.SMALL, Colors.INK, Anchor.END, false, false);
        }
        for (int i = 0; i < n; i++) {
            c.text(xOf.applyAsDouble(i) + 3.5, top + plotH + 8, checkpoints.get(i), Figures.SMALL, Colors.INK, Anchor.END, false, true);
        }
        c.text(14, top + plotH / 2, p.axisLabel(), Figures.FONT, Colors.INK, Anchor.MIDDLE, false, true);
        for (int t = 0; t < tasks.size(); t++) {
            Color color = Colors.SERIES[t % Colors.SERIES.length];
            double[] v = p.values()[t];
            // a line through consecutive defined points; an undefined point breaks it
            int start = 0;
            for (int i = 0; i <= n; i++) {
                if (i == n || !Double.isFinite(v[i])) {
                    if (i - start >= 2) {
                        double[] xs = new double[i - start], ys = new double[i - start];
                        for (int k = start; k < i; k++) {
                            xs[k - start] = xOf.applyAsDouble(k);
                            ys[k - start] = yOf.applyAsDouble(v[k]);
                        }
                        c.polyline(xs, ys, color, 1.8);
                    }
                    start = i + 1;
                }
            }
            for (int i = 0; i < n; i++) if (Double.isFinite(v[i])) c.circle(xOf.applyAsDouble(i), yOf.applyAsDouble(v[i]), 3, color);
            double ly = top + 8 + 16 * t, lx = left + plotW + 20;
            c.line(lx, ly - 3, lx + 14, ly - 3, color, 2);
            c.text(lx + 18, ly, tasks.get(t), Figures.SMALL, Colors.INK, Anchor.START, false, false);
        }
        return c.finish(p.title());
    }
}
