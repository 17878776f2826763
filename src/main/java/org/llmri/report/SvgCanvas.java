package org.llmri.report;

import java.awt.Color;
import java.util.Locale;

/** Writes the drawing as SVG 1.1; numbers are rounded to 0.01 px so the file is small and the same every time. */
final class SvgCanvas implements Canvas {
    private final StringBuilder sb = new StringBuilder();
    private final int width, height;

    SvgCanvas(int width, int height) {
        this.width = width;
        this.height = height;
    }

    String finish(String title) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + width + "\" height=\"" + height
                + "\" viewBox=\"0 0 " + width + " " + height + "\" font-family=\"" + SVG_FONT_FAMILY + "\">\n"
                + "<title>" + Html.escape(title) + "</title>\n"
                + "<rect x=\"0\" y=\"0\" width=\"" + width + "\" height=\"" + height + "\" fill=\"#ffffff\"/>\n"
                + sb + "</svg>\n";
    }

    static String n(double v) {
        double r = Math.round(v * 100) / 100.0;
        if (r == Math.rint(r)) return Long.toString((long) r);
        return String.format(Locale.ROOT, "%.2f", r).replaceAll("0+$", "");
    }

    static String hex(Color c) {
        return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
    }

    @Override
    public void fillRect(double x, double y, double w, double h, Color fill) {
        sb.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                .append("\" height=\"").append(n(h)).append("\" fill=\"").append(hex(fill)).append("\" shape-rendering=\"crispEdges\"/>\n");
    }

    @Override
    public void strokeRect(double x, double y, double w, double h, Color stroke, double width) {
        sb.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                .append("\" height=\"").append(n(h)).append("\" fill=\"none\" stroke=\"").append(hex(stroke))
                .append("\" stroke-width=\"").append(n(width)).append("\"/>\n");
    }

    @Override
    public void line(double x1, double y1, double x2, double y2, Color stroke, double width) {
        sb.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2))
                .append("\" y2=\"").append(n(y2)).append("\" stroke=\"").append(hex(stroke)).append("\" stroke-width=\"")
                .append(n(width)).append("\"/>\n");
    }

    @Override
    public void polyline(double[] xs, double[] ys, Color stroke, double width) {
        if (xs.length < 2) return;
        sb.append("<polyline fill=\"none\" stroke=\"").append(hex(stroke)).append("\" stroke-width=\"").append(n(width))
                .append("\" stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"");
        for (int i = 0; i < xs.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(n(xs[i])).append(',').append(n(ys[i]));
        }
        sb.append("\"/>\n");
    }

    @Override
    public void circle(double cx, double cy, double r, Color fill) {
        sb.append("<circle cx=\"").append(n(cx)).append("\" cy=\"").append(n(cy)).append("\" r=\"").append(n(r))
                .append("\" fill=\"").append(hex(fill)).append("\"/>\n");
    }

    @Override
    public void text(double x, double y, String s, double size, Color color, Anchor anchor, boolean bold, boolean rotated) {
        sb.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" font-size=\"").append(n(size)).append('"');
        if (anchor != Anchor.START) sb.append(" text-anchor=\"").append(anchor == Anchor.MIDDLE ? "middle" : "end").append('"');
        if (bold) sb.append(" font-weight=\"bold\"");
        if (!color.equals(Color.BLACK)) sb.append(" fill=\"").append(hex(color)).append('"');
        if (rotated) sb.append(" transform=\"rotate(-90 ").append(n(x)).append(' ').append(n(y)).append(")\"");
        sb.append('>').append(Html.escape(s)).append("</text>\n");
    }
}
