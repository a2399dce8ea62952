package dev.amipipeline.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One moto_server per test class on its own free port, reset before each test and stopped after the
 * class, so integration tests never share state or ports. Also gives the in-process SDK dummy
 * credentials through system properties (the environment of the JVM cannot be changed).
 */
public final class MotoExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback, ParameterResolver {

  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(MotoExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    System.setProperty("aws.accessKeyId", MotoServer.ACCESS_KEY);
    System.setProperty("aws.secretAccessKey", MotoServer.SECRET_KEY);
    System.setProperty("aws.disableEc2Metadata", "true");
    context.getStore(NS).put("server", MotoServer.start());
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    server(context).reset();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    MotoServer server = context.getStore(NS).remove("server", MotoServer.class);
    if (server != null) {
      server.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext extension) {
    return parameter.getParameter().getType() == MotoServer.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext extension) {
    return server(extension);
  }

  private static MotoServer server(ExtensionContext context) {
    for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
      MotoServer s = c.getStore(NS).get("server", MotoServer.class);
      if (s != null) {
        return s;
      }
    }
    throw new IllegalStateException("no moto_server: annotate the class with @ExtendWith(MotoExtension.class)");
  }
}
