package dev.duet.chat.store;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link KnownRow}s of the couples this server appended to most recently, at most {@code capacity}: the least
 * recently used is forgotten first (it is read again on its next append).
 */
final class KnownRows {
    private final Map<String, KnownRow> rows;

    KnownRows(int capacity) {
        this.rows = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, KnownRow> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized KnownRow get(String coupleId) {
        return rows.get(coupleId);
    }

    synchronized void remember(String coupleId, KnownRow row) {
        rows.put(coupleId, row);
    }

    synchronized void forget(String coupleId) {
        rows.remove(coupleId);
    }

    synchronized int size() {
        return rows.size();
    }
}
