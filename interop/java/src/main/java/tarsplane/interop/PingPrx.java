package tarsplane.interop;

import com.qq.tars.protocol.annotation.Servant;

/**
 * Any TARS object's {@code tars_ping}: TarsJava's codec sends it with an empty argument buffer
 * and reads an empty result.
 */
@Servant
public interface PingPrx {
    void tars_ping();
}
