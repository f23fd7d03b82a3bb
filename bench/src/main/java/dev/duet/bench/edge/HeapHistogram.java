package dev.duet.bench.edge;

import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The live objects of another JVM by class ({@code jcmd PID GC.class_histogram}, which collects first), and what a
 * number of connections added between two of them: where an idle connection's heap goes.
 */
final class HeapHistogram {
    private static final Pattern ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");

    private final Map<String, Long> bytesByClass;

    private HeapHistogram(Map<String, Long> bytesByClass) {
        this.bytesByClass = bytesByClass;
    }

    static HeapHistogram of(long pid) throws IOException, InterruptedException {
        String output = ProcessStats.jcmd(pid, "GC.class_histogram");
        Map<String, Long> bytes = new HashMap<>();
        for (String line : output.split("\n")) {
            Matcher row = ROW.matcher(line);
            if (row.matches()) {
                bytes.merge(row.group(3), Long.parseLong(row.group(2)), Long::sum);
            }
        }
        return new HeapHistogram(bytes);
    }

    long totalBytes() {
        return bytesByClass.values().stream().mapToLong(Long::longValue).sum();
    }

    /** A JSON object of the {@code top} classes that grew most from {@code before}, in bytes per connection. */
    String growthPerConnectionJson(HeapHistogram before, int connections, int top) {
        return bytesByClass.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.bytesByClass.getOrDefault(e.getKey(), 0L)))
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
                .limit(top)
                .map(e -> String.format(Locale.ROOT, "\"%s\":%.1f", e.getKey().replace("\"", ""),
                        (double) e.getValue() / connections))
                .collect(Collectors.joining(",", "{", "}"));
    }
}
