package dev.duet.bench.chat;

import dev.duet.bench.ProcStat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where this JVM's CPU goes, by who runs the thread: HBase, the chat server, the load generator, the JIT, the
 * collector. The in-process benchmark puts all of them on the same two cores, so a rate alone does not say whose work
 * bounds it. Read from {@code /proc/self/task} (user and system time of every thread, by its name).
 */
public final class ThreadCpu {
    /**
     * Who a thread works for, by the names HBase, Netty's thread factories and HotSpot give them. The chat store's
     * own callbacks (planning a round, completing its appends) run on the HBase client's threads and count there; the
     * raw puts run on the main thread, which the JVM leaves with its launcher's name, {@code java}, and is load.
     */
    public enum Owner {
        HBASE_SERVER, HBASE_CLIENT, CHAT_SERVER, LOAD, JIT, GC, OTHER;

        static Owner of(String threadName) {
            if (threadName.startsWith("RpcServer") || threadName.startsWith("RS")
                    || threadName.startsWith("regionserver") || threadName.startsWith("AsyncFS")
                    || threadName.startsWith("MemStore") || threadName.startsWith("master")
                    || threadName.startsWith("PEWorker")) {
                return HBASE_SERVER;
            }
            if (threadName.startsWith("RPCClient") || threadName.startsWith("RpcClient")
                    || threadName.startsWith("hconnection") || threadName.startsWith("Async-Client")) {
                return HBASE_CLIENT;
            }
            if (threadName.startsWith("duet-")) {
                return CHAT_SERVER;
            }
            if (threadName.startsWith("bench-") || threadName.equals("java")) {
                return LOAD;
            }
            if (threadName.contains("CompilerThre")) {
                return JIT;
            }
            if (threadName.startsWith("GC Thread") || threadName.startsWith("G1 ")) {
                return GC;
            }
            return OTHER;
        }

        String jsonName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** A thread's owner and the clock ticks it has used. */
    private record Used(Owner owner, long ticks) {
    }

    /** By thread id. */
    private final Map<String, Used> threads;
    private final long nanos = System.nanoTime();

    private ThreadCpu(Map<String, Used> threads) {
        this.threads = threads;
    }

    public static ThreadCpu now() {
        Map<String, Used> threads = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            tasks.forEach(task -> read(task, threads));
        } catch (IOException e) {
            throw new IllegalStateException("cannot list this JVM's threads", e);
        }
        return new ThreadCpu(threads);
    }

    long nanos() {
        return nanos;
    }

    /** Cores {@code owner}'s threads used between {@code earlier} and this. */
    public double cores(ThreadCpu earlier, Owner owner) {
        return ticksSince(earlier, owner) / ProcStat.TICKS_PER_SECOND / ((nanos - earlier.nanos) / 1e9);
    }

    /**
     * Clock ticks {@code owner}'s threads used since {@code earlier}: of the threads alive now, what they used since
     * then (all of it for a thread started since). A thread that ended in between is not counted.
     */
    private long ticksSince(ThreadCpu earlier, Owner owner) {
        long sum = 0;
        for (Map.Entry<String, Used> thread : threads.entrySet()) {
            if (thread.getValue().owner() == owner) {
                Used before = earlier.threads.get(thread.getKey());
                sum += thread.getValue().ticks() - (before == null ? 0 : before.ticks());
            }
        }
        return sum;
    }

    /** A JSON object of the cores each owner used since {@code earlier}, and their total. */
    public String coresJson(ThreadCpu earlier) {
        double total = 0;
        StringBuilder json = new StringBuilder("{");
        for (Owner owner : Owner.values()) {
            double cores = cores(earlier, owner);
            total += cores;
            json.append(String.format(Locale.ROOT, "\"%s\":%.2f,", owner.jsonName(), cores));
        }
        return json.append(String.format(Locale.ROOT, "\"total\":%.2f}", total)).toString();
    }

    /** Microseconds of CPU {@code owner}'s threads used per unit of work, {@code units} of it done since then. */
    public double microsPerUnit(ThreadCpu earlier, Owner owner, double units) {
        return ticksSince(earlier, owner) / ProcStat.TICKS_PER_SECOND * 1e6 / units;
    }

    /** A JSON object of each owner's CPU microseconds per unit of work, {@code units} of it done since then. */
    public String microsPerUnitJson(ThreadCpu earlier, double units) {
        return Stream.of(Owner.values()).map(owner -> String.format(Locale.ROOT, "\"%s\":%.1f", owner.jsonName(),
                        microsPerUnit(earlier, owner, units)))
                .collect(Collectors.joining(",", "{", "}"));
    }

    private static void read(Path task, Map<String, Used> threads) {
        ProcStat stat;
        try {
            stat = ProcStat.read(task.resolve("stat"));
        } catch (IOException e) {
            return; // the thread ended while we listed them
        }
        threads.put(task.getFileName().toString(), new Used(Owner.of(stat.name()), stat.cpuTicks()));
    }
}
