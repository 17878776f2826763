package org.llmri.report;

import java.util.List;
import java.util.Locale;

/** HTML text helpers. */
final class Html {
    private Html() {}

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** A number for people: integers as such, others to {@code digits} significant decimals; NaN as n/a. */
    static String num(double v, int decimals) {
        if (Double.isNaN(v)) return "n/a";
        if (v == Math.rint(v) && Math.abs(v) < 1e12) return Long.toString((long) v);
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A p value: three decimals, or "&lt; 0.001" style for smaller ones. */
    static String p(double p) {
        if (Double.isNaN(p)) return "n/a";
        if (p < 0.001) return String.format(Locale.ROOT, "%.1e", p);
        return String.format(Locale.ROOT, "%.3f", p);
    }

    /**
     * A table; cells are already-escaped HTML. {@code numericFrom} is the first column aligned right
     * (numbers), or -1 for none.
     */
    static String table(List<String> header, List<List<String>> rows, int numericFrom, String cssClass) {
        StringBuilder sb = new StringBuilder();
        sb.append("<div class=\"table-wrap\"><table").append(cssClass == null ? "" : " class=\"" + cssClass + "\"").append(">\n<thead><tr>");
        for (int c = 0; c < header.size(); c++) {
            sb.append(numericFrom >= 0 && c >= numericFrom ? "<th class=\"num\">" : "<th>").append(header.get(c)).append("</th>");
        }
        sb.append("</tr></thead>\n<tbody>\n");
        for (List<String> r : rows) {
            sb.append("<tr>");
            for (int c = 0; c < r.size(); c++) {
                sb.append(numericFrom >= 0 && c >= numericFrom ? "<td class=\"num\">" : "<td>").append(r.get(c)).append("</td>");
            }
            sb.append("</tr>\n");
        }
        sb.append("</tbody></table></div>\n");
        return sb.toString();
    }
}
