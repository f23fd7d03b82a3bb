package dev.duet.presenter;

import dev.duet.admin.AdminTarget;
import dev.duet.ring.HashRing;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the admin endpoint and MBean show of a presenter, and its drain. */
public final class PresenterAdmin implements AdminTarget {
    private final Presenter presenter;
    private final Duration drainDeadline;
    private final long started = System.currentTimeMillis();

    public PresenterAdmin(Presenter presenter, Duration drainDeadline) {
        this.presenter = presenter;
        this.drainDeadline = drainDeadline;
    }

    @Override
    public String role() {
        return "presenter";
    }

    @Override
    public String id() {
        return presenter.id();
    }

    @Override
    public boolean isReady() {
        return !presenter.isDraining() && !presenter.ring().ring().isEmpty();
    }

    @Override
    public boolean isDraining() {
        return presenter.isDraining();
    }

    public int weight() {
        double cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getCpuLoad();
        return RoutingWeight.of(presenter.isDraining(), presenter.connections(), presenter.maxConnections(),
                Double.isNaN(cpu) ? 0 : cpu, RoutingWeight.DEFAULT_CPU_FLOOR);
    }

    @Override
    public Map<String, Object> status() {
        HashRing ring = presenter.ring().ring();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("role", role());
        status.put("id", id());
        status.put("connections", presenter.connections());
        status.put("streams", presenter.streams());
        status.put("ringEpoch", ring.epoch());
        status.put("ringMembers", ring.members().keySet().stream().sorted().toList());
        status.put("draining", presenter.isDraining());
        status.put("uptimeSeconds", (System.currentTimeMillis() - started) / 1000);
        status.put("weight", weight());
        return status;
    }

    @Override
    public void drain() throws InterruptedException {
        presenter.drain(drainDeadline);
    }
}
