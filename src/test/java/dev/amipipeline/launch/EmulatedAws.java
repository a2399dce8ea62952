package dev.amipipeline.launch;

import dev.amipipeline.aws.AwsClients;
import dev.amipipeline.testing.MotoExtension;
import dev.amipipeline.testing.MotoServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** A launch integration test: its own moto_server, clients for checking what a command did, call log and hook off after. */
@ExtendWith(MotoExtension.class)
abstract class EmulatedAws {

  /** For seeding and checking; the command under test builds its own. */
  AwsClients aws;

  @BeforeEach
  final void openClients(MotoServer moto) {
    aws = Bakes.aws(moto);
  }

  @AfterEach
  final void closeClients() {
    AwsCallLog.stop();
    AwsCallHook.clear();
    aws.close();
  }
}
