package org.llmri.report;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Consumer;
import javax.imageio.ImageIO;
import org.llmri.io.AtomicFile;

/**
 * A figure: its size in CSS pixels, a title (the SVG's title and the image's alt text) and the drawing.
 * It is rendered twice from the same drawing: a PNG at twice the resolution, and an SVG.
 */
record Figure(String name, String title, int width, int height, Consumer<Canvas> painter) {
    static final double PNG_SCALE = 2;

    byte[] png() {
        RasterCanvas c = new RasterCanvas(width, height, PNG_SCALE);
        painter.accept(c);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(c.finish(), "png", out)) throw new IllegalStateException("no PNG writer");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    String svg() {
        SvgCanvas c = new SvgCanvas(width, height);
        painter.accept(c);
        return c.finish(title);
    }

    /** Writes {@code dir/name.png} and {@code dir/name.svg}; returns the PNG bytes for embedding. */
    byte[] write(Path dir) {
        byte[] png = png();
        AtomicFile.write(dir.resolve(name + ".png"), out -> out.write(png));
        AtomicFile.writeString(dir.resolve(name + ".svg"), svg());
        return png;
    }
}
