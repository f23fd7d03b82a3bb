package dev.duet.protocol.mux;

import dev.duet.thrift.mux.Handover;

/**
 * Presenter side: the chat server ended the stream with a {@code CLOSE} carrying {@code handover}. Fired once every
 * byte received before it has been read, just before the channel closes.
 */
public record StreamHandoverEvent(Handover handover) {
}
