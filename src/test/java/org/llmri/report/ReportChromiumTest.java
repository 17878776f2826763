package org.llmri.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renders the report in headless Chromium through scripts/check-report.sh; skipped where Chromium is not installed. */
class ReportChromiumTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    @TempDir Path dir;

    record Run(int exit, String output) {}

    static Run check(Path reportDir, Path shots) throws Exception {
        Process p = new ProcessBuilder("bash", "scripts/check-report.sh", reportDir.toString(), shots.toString())
                .redirectErrorStream(true).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        if (!done) p.destroyForcibly();
        assertThat(done).as("check-report.sh finished").isTrue();
        return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void rendersWithoutMissingImagesOrConsoleErrors() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "needs Debian's chromium");
        Path out = dir.resolve("report");
        SyntheticReport.causalTables(dir.resolve("causal"));
        ReportWriter.write(out, SyntheticReport.model(dir.resolve("data"), 50));
        Path shots = dir.resolve("shots");
        Run run = check(out, shots);
        assertThat(run.exit()).as(run.output()).isZero();
        assertThat(run.output()).contains("20 images");
        for (String section : ReportWriter.SECTIONS) {
            BufferedImage shot = ImageIO.read(shots.resolve(section + ".png").toFile());
            assertThat(shot).as(section).isNotNull();
            assertThat(shot.getWidth()).isEqualTo(1400);
            // the section is drawn below the page header: some pixels there differ from the white page
            assertThat(nonWhiteRows(shot, 140)).as(section).isGreaterThan(20);
        }
    }

    @Test
    void flagsBrokenPages() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "needs Debian's chromium");
        Path bad = dir.resolve("bad");
        Files.createDirectories(bad);
        Files.writeString(bad.resolve("report.html"), "<!DOCTYPE html><html><body><section id=\"a\"><img src=\"figures/missing.png\"></section>"
                + "<script>console.error('broken')</script></body></html>");
        Run run = check(bad, dir.resolve("shots"));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.output()).contains("not an embedded PNG").contains("\"broken\"");
    }

    static int nonWhiteRows(BufferedImage img, int fromY) {
        int rows = 0;
        for (int y = fromY; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                if ((img.getRGB(x, y) & 0xffffff) != 0xffffff) {
                    rows++;
                    break;
                }
            }
        }
        return rows;
    }
}
