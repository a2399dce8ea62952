package dev.amipipeline.launch;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Records every AWS API call ("Ec2:RunInstances") made in this JVM while recording is on. The SDK
 * loads it for every client from the test classpath
 * (software/amazon/awssdk/global/handlers/execution.interceptors), so production code carries no hook.
 * One entry per API call, not per retry.
 */
public final class AwsCallLog implements ExecutionInterceptor {

  private static final List<String> CALLS = new CopyOnWriteArrayList<>();
  private static volatile boolean recording;

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    if (recording) {
      CALLS.add(attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + ":"
          + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
    }
  }

  /** Forgets what was recorded and records from now on. */
  public static void start() {
    CALLS.clear();
    recording = true;
  }

  public static void stop() {
    recording = false;
  }

  /** Records again after {@link #stop()}, keeping what was recorded (a test's own calls in between stay out). */
  public static void resume() {
    recording = true;
  }

  /** The calls recorded since {@link #start()}, in order. */
  public static List<String> calls() {
    return List.copyOf(CALLS);
  }

  public static long count(String call) {
    return CALLS.stream().filter(call::equals).count();
  }
}
