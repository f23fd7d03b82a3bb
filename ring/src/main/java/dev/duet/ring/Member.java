package dev.duet.ring;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * A chat server on the ring: where presenters reach it and how much of the ring it takes.
 *
 * @param id        stable, unique member id; also the znode name, so no '/'
 * @param host      host presenters connect to
 * @param muxPort   port of its mux endpoint
 * @param adminPort port of its admin HTTP endpoint
 * @param weight    relative share of couples (1.0 = an ordinary server); scales its virtual nodes
 */
public record Member(String id, String host, int muxPort, int adminPort, double weight) {

    public Member {
        if (id == null || id.isEmpty() || id.contains("/")) {
            throw new IllegalArgumentException("member id must be non-empty and without '/': " + id);
        }
        if (weight <= 0 || weight > 100 || Double.isNaN(weight)) {
            throw new IllegalArgumentException("member weight must be in (0, 100]: " + weight);
        }
    }

    public Member(String id, String host, int muxPort, int adminPort) {
        this(id, host, muxPort, adminPort, 1.0);
    }

    /** The znode data: {@code key=value} lines, readable with {@code zkCli get}. */
    byte[] toBytes() {
        Properties properties = new Properties();
        properties.setProperty("id", id);
        properties.setProperty("host", host);
        properties.setProperty("muxPort", Integer.toString(muxPort));
        properties.setProperty("adminPort", Integer.toString(adminPort));
        properties.setProperty("weight", Double.toString(weight));
        StringWriter out = new StringWriter();
        try {
            properties.store(out, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses znode data written by {@link #toBytes()}; throws IllegalArgumentException when it is not. */
    static Member fromBytes(byte[] data) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(new String(data, StandardCharsets.UTF_8)));
            return new Member(required(properties, "id"), required(properties, "host"),
                    Integer.parseInt(required(properties, "muxPort")),
                    Integer.parseInt(required(properties, "adminPort")),
                    Double.parseDouble(properties.getProperty("weight", "1.0")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String required(Properties properties, String key) {
        String value = properties.getProperty(key);
        if (value == null) {
            throw new IllegalArgumentException("member data lacks '" + key + "'");
        }
        return value;
    }
}
