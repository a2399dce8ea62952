package dev.amipipeline.launch;

import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Runs an action once, just before the next call of one AWS operation made in this JVM: another
 * client's work slipped in between a command's look and its act, so a race between two commands
 * happens for real against the emulator, every time. Loaded like {@link AwsCallLog}.
 */
public final class AwsCallHook implements ExecutionInterceptor {

  private static final AtomicReference<Map.Entry<String, Runnable>> NEXT = new AtomicReference<>();

  @Override
  public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
    Map.Entry<String, Runnable> hook = NEXT.get();
    String call = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + ":"
        + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
    // Cleared before it runs, so the action's own calls do not trigger it again.
    if (hook != null && hook.getKey().equals(call) && NEXT.compareAndSet(hook, null)) {
      hook.getValue().run();
    }
  }

  /** Runs {@code action} before the next {@code call} ("Ec2:CreateLaunchTemplate"), once. */
  public static void beforeNext(String call, Runnable action) {
    NEXT.set(Map.entry(call, action));
  }

  public static void clear() {
    NEXT.set(null);
  }
}
