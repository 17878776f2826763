package org.llmri.report;

import java.awt.Color;
import java.awt.Font;
import java.awt.font.FontRenderContext;

/**
 * The few drawing operations llmri's figures need, so that one drawing routine yields both the PNG
 * (through Java2D) and the SVG (written directly, with text kept as text). Coordinates are in CSS
 * pixels, y downwards.
 */
interface Canvas {
    enum Anchor { START, MIDDLE, END }

    void fillRect(double x, double y, double w, double h, Color fill);

    void strokeRect(double x, double y, double w, double h, Color stroke, double width);

    void line(double x1, double y1, double x2, double y2, Color stroke, double width);

    void polyline(double[] xs, double[] ys, Color stroke, double width);

    void circle(double cx, double cy, double r, Color fill);

    /** Text with its baseline at y; {@code rotated} turns it 90 degrees counter-clockwise about (x, y). */
    void text(double x, double y, String s, double size, Color color, Anchor anchor, boolean bold, boolean rotated);

    String FONT_FAMILY = "SansSerif";
    String SVG_FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif";
    FontRenderContext FRC = new FontRenderContext(null, true, true);

    static Font font(double size, boolean bold) {
        return new Font(FONT_FAMILY, bold ? Font.BOLD : Font.PLAIN, 1).deriveFont((float) size);
    }

    /** The width text takes, measured with the raster font (the SVG asks for the same family first). */
    static double textWidth(String s, double size, boolean bold) {
        return font(size, bold).getStringBounds(s, FRC).getWidth();
    }
}
