package dev.duet.admin;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.util.HierarchicalNameMapper;
import io.micrometer.jmx.JmxConfig;
import io.micrometer.jmx.JmxMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** A process's meters, published both over JMX (domain {@code dev.duet}) and as Prometheus text. */
public final class ServerMeters implements AutoCloseable {
    private final PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JmxMeterRegistry jmx = new JmxMeterRegistry(new JmxConfig() {
        @Override
        public String get(String key) {
            return null;
        }

        @Override
        public String domain() {
            return "dev.duet";
        }
    }, Clock.SYSTEM, HierarchicalNameMapper.DEFAULT);
    private final CompositeMeterRegistry registry = new CompositeMeterRegistry(Clock.SYSTEM);

    public ServerMeters() {
        registry.add(prometheus);
        registry.add(jmx);
    }

    /** Where servers register their meters. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return prometheus.scrape();
    }

    @Override
    public void close() {
        registry.close();
    }
}
