package dev.duet.admin;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.util.HierarchicalNameMapper;
import io.micrometer.jmx.JmxConfig;
import io.micrometer.jmx.JmxMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * One server's meters, with the process's ({@link JvmMeters}), published both as Prometheus text and over JMX
 * (domain {@code dev.duet}). Every server has its own, also when several share a process ({@code duet local}): each
 * admin endpoint shows its own server's meters only. Over JMX every meter carries the tag {@code server=<id>}, so the
 * MBeans of servers in one process do not collide; the Prometheus text has no such tag, since one endpoint is one
 * server and the scraper labels its target.
 */
public final class ServerMeters implements AutoCloseable {
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final CompositeMeterRegistry registry = new CompositeMeterRegistry(Clock.SYSTEM);
    private final JvmMeters jvm;

    public ServerMeters(String serverId) {
        JmxMeterRegistry jmx = new JmxMeterRegistry(new JmxConfig() {
            @Override
            public String get(String key) {
                return null;
            }

            @Override
            public String domain() {
                return "dev.duet";
            }
        }, Clock.SYSTEM, HierarchicalNameMapper.DEFAULT);
        jmx.config().commonTags("server", serverId);
        registry.add(prometheus);
        registry.add(jmx);
        jvm = new JvmMeters(registry);
    }

    /** Where the server registers its meters. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return prometheus.scrape();
    }

    /** Removes every meter, and its MBean. */
    @Override
    public void close() {
        jvm.close();
        registry.close();
    }
}
