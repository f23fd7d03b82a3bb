package dev.duet.presenter;

/**
 * The presenter's weight in weighted DNS, 0–255: how much of the new traffic it should get.
 *
 * <pre>
 * weight = 0                                                 while draining
 * weight = max(1, round(255 × (1 − connections / maxConnections) × (1 − max(0, cpu − cpuFloor) / (1 − cpuFloor))))
 * </pre>
 *
 * Connections count fully; CPU counts only above {@code cpuFloor} (default 0.5), so an idle-ish presenter is not
 * penalised for GC and TLS bursts, and a busy one sheds new clients before it saturates. A serving presenter never
 * goes below 1, so DNS keeps it in rotation.
 */
public final class RoutingWeight {
    public static final double DEFAULT_CPU_FLOOR = 0.5;

    private RoutingWeight() {
    }

    public static int of(boolean draining, int connections, int maxConnections, double cpuLoad, double cpuFloor) {
        if (draining) {
            return 0;
        }
        double room = 1 - Math.min(1, (double) connections / maxConnections);
        double cpu = Math.max(0, Math.min(1, cpuLoad));
        double headroom = cpu <= cpuFloor ? 1 : 1 - (cpu - cpuFloor) / (1 - cpuFloor);
        return (int) Math.max(1, Math.round(255 * room * headroom));
    }
}
