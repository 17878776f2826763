package org.llmri.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    @TempDir Path dir;

    static final Pattern IMG = Pattern.compile("<img [^>]*src=\"([^\"]*)\"");

    /** The images of an HTML page, decoded from their data URIs; fails on any other kind of source. */
    static List<BufferedImage> images(String html) throws Exception {
        List<BufferedImage> out = new ArrayList<>();
        Matcher m = IMG.matcher(html);
        while (m.find()) {
            String src = m.group(1);
            assertThat(src).startsWith("data:image/png;base64,");
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(src.substring(src.indexOf(',') + 1))));
            assertThat(img).isNotNull();
            assertThat(img.getWidth()).isPositive();
            out.add(img);
        }
        return out;
    }

    @Test
    void writesEverySectionWithEmbeddedImagesAndTables() throws Exception {
        ReportModel model = SyntheticReport.model(dir.resolve("data"), 100);
        SyntheticReport.causalTables(dir.resolve("causal")); // lesion/steer output beside the report folder draws the Causal tests section
        Path report = ReportWriter.write(dir.resolve("out"), model);
        String html = Files.readString(report);
        for (String id : ReportWriter.SECTIONS) assertThat(html).contains("<section id=\"" + id + "\">");
        assertThat(html).contains("<a href=\"#causal\">Causal tests</a>", "lesion of network pathology (FWER 0.05): zero ablation at fractions 0.5, 1",
                "Dose-response: steer_pathology.tsv", "shows a tumour");
        // 1 design + 4 tasks x (map + sizes) + 1 overlap (no negative... planted negatives exist: 2) + repeatability + 4 confusions + 4 time courses
        List<BufferedImage> imgs = images(html);
        assertThat(imgs).hasSize(1 + 8 + 2 + 1 + 4 + 4);
        assertThat(html).doesNotContain("<script").doesNotContain("http://").doesNotContain("https://");
        // findings come first, with a verdict each; every map states its critical value beside its peak, and data quality
        assertThat(html.indexOf("<section id=\"findings\">")).isLessThan(html.indexOf("<section id=\"summary\">"));
        assertThat(html).contains("supported</span>").contains("not supported at \u03b1 = 0.05").contains("not testable</span>");
        assertThat(html).contains("critical |t| 3.40 (|z| " + Html.num(SyntheticReport.Z, 2) + "), df 54").contains("Peak |z| ")
                .contains("smallest reachable p 0.001").contains("1 units with NaN").contains("effect (prompt SDs)");
        // user text is escaped
        assertThat(html).contains("Prompt &lt;1&gt; for taskA: &quot;solve&quot; &amp; explain").doesNotContain("<tag>");
        for (String t : List.of("overlap.tsv", "overlap_by_layer.tsv", "repeatability.tsv", "repeatability_summary.tsv", "decoding.tsv",
                "decoding_summary.tsv", "decoding_confusion_correlation_run.tsv", "decoding_confusion_network_block.tsv", "network_sizes.tsv",
                "samples.tsv", "study_summary.tsv", "findings.tsv")) {
            assertThat(dir.resolve("out/tables/" + t)).isRegularFile();
            assertThat(html).contains("href=\"tables/" + t + "\"");
        }
        for (String f : List.of("map_taskA", "network_sizes_taskD", "overlap_positive", "repeatability", "confusion_network_run", "timecourse_taskB_run-1")) {
            assertThat(dir.resolve("out/figures/" + f + ".png")).isRegularFile();
            String svg = Files.readString(dir.resolve("out/figures/" + f + ".svg"));
            assertThat(svg).startsWith("<?xml").contains("<svg xmlns=\"http://www.w3.org/2000/svg\"").endsWith("</svg>\n");
            javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new org.xml.sax.InputSource(new java.io.StringReader(svg))); // well-formed XML
        }
        assertThat(dir.resolve("out/figures/design_matrix.png")).isRegularFile();
        // time courses show the strongest units of the task's map, read from the run's activations
        ReportModel.TimeCourse tc = model.timeCourses().getFirst();
        assertThat(tc.series()).hasSize(3);
        assertThat(tc.series().getFirst().values()).hasSize(160);
        double[] zA = model.maps().getFirst().z();
        assertThat(zA[tc.series().getFirst().unit()]).isEqualTo(java.util.Arrays.stream(zA).max().orElseThrow());
        assertThat(tc.blocks()).hasSize(5);
        // the planted study decodes perfectly and the methods paragraph states the actual settings
        assertThat(html).contains("100%").contains("100 permutations of the training runs");
        assertThat(model.methods()).contains("Four tasks (taskA, taskB, taskC, taskD) were each run 3 times")
                .contains("control task control task control, each block four prompts of 8 new tokens").contains("160 time points per run")
                .contains("(three folds)").contains("100 times (seed 1)");
    }

    @Test
    void sameModelSameBytes() throws Exception {
        ReportModel model = SyntheticReport.model(dir.resolve("data"), 50);
        byte[] a = Files.readAllBytes(ReportWriter.write(dir.resolve("a"), model));
        byte[] b = Files.readAllBytes(ReportWriter.write(dir.resolve("b"), SyntheticReport.model(dir.resolve("data2"), 50)));
        assertThat(b).isEqualTo(a);
        assertThat(Files.readString(dir.resolve("a/figures/map_taskA.svg"))).isEqualTo(Files.readString(dir.resolve("b/figures/map_taskA.svg")));
    }

    @Test
    void optionalSectionsAreLeftOut() throws Exception {
        ReportModel full = SyntheticReport.model(dir.resolve("data"), 20);
        ReportModel bare = new ReportModel("bare", full.summary(), null, full.units(), full.maps(), full.threshold(), null, null, null,
                List.of(), List.of(), "Nothing else.");
        String html = Files.readString(ReportWriter.write(dir.resolve("bare"), bare));
        assertThat(html).contains("<section id=\"maps\">").doesNotContain("<section id=\"overlap\">")
                .doesNotContain("<section id=\"design\">").doesNotContain("<section id=\"decoding\">").doesNotContain("<section id=\"causal\">");
        assertThat(images(html)).hasSize(8);
    }
}
