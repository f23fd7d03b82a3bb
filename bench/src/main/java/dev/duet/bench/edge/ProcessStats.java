package dev.duet.bench.edge;

import dev.duet.bench.ProcStat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Resident memory and CPU time of another process, from /proc (Linux). */
final class ProcessStats {
    private static final Pattern HEAP_SPACE = Pattern.compile("^ \\S.*(heap|generation)\\s+total");
    private static final Pattern ADDRESS = Pattern.compile("0x([0-9a-f]+)");
    private static final Pattern TOTAL_COMPILES = Pattern.compile("(?m)^sun\\.ci\\.totalCompiles=(\\d+)");
    private static final Pattern MAPPING = Pattern.compile("^([0-9a-f]+)-[0-9a-f]+ ");

    private ProcessStats() {
    }

    static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }

    /**
     * The resident part of a JVM's Java heap: the RSS of its mappings inside the heap's reserved range (from
     * {@code jcmd PID GC.heap_info}). The rest of the RSS is native memory: TLS engines, thread stacks, code.
     */
    static long heapRssBytes(long pid) throws IOException, InterruptedException {
        String info = jcmd(pid, "GC.heap_info");
        // G1 prints one "heap ... total" line, the serial collector one per generation: the heap spans them all.
        long heapStart = Long.MAX_VALUE;
        long heapEnd = 0;
        for (String line : info.split("\n")) {
            if (HEAP_SPACE.matcher(line).find()) {
                Matcher address = ADDRESS.matcher(line);
                while (address.find()) {
                    long value = Long.parseUnsignedLong(address.group(1), 16);
                    heapStart = Math.min(heapStart, value);
                    heapEnd = Math.max(heapEnd, value);
                }
            }
        }
        if (heapEnd == 0) {
            throw new IOException("no heap range in GC.heap_info of " + pid + ": " + info);
        }
        long bytes = 0;
        boolean inHeap = false;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps"))) {
            Matcher mapping = MAPPING.matcher(line);
            if (mapping.find()) {
                long start = Long.parseUnsignedLong(mapping.group(1), 16);
                inHeap = start >= heapStart && start < heapEnd;
            } else if (inHeap && line.startsWith("Rss:")) {
                bytes += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return bytes;
    }

    /** Runs {@code jcmd PID command} and returns what it printed; fails when it does not succeed in 120 s. */
    static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!jcmd.waitFor(120, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            throw new IOException("jcmd " + command + " failed for " + pid + ": " + output);
        }
        return output;
    }

    /** How many methods a JVM's JIT compiled so far ({@code sun.ci.totalCompiles}). */
    static long jitCompilations(long pid) throws IOException, InterruptedException {
        Matcher total = TOTAL_COMPILES.matcher(jcmd(pid, "PerfCounter.print"));
        if (!total.find()) {
            throw new IOException("no sun.ci.totalCompiles in the performance counters of " + pid);
        }
        return Long.parseLong(total.group(1));
    }

    /** User plus system CPU time, in milliseconds. */
    static long cpuMillis(long pid) throws IOException {
        return (long) (ProcStat.read(Path.of("/proc", Long.toString(pid), "stat")).cpuTicks() * 1000
                / ProcStat.TICKS_PER_SECOND);
    }
}
