package io.sparkint8.train;

/**
 * Where the driver's step loop gets the state it resumes from and puts the state of the epochs it
 * finishes. The loop calls {@link #resume} once before its first step, and after every epoch
 * (with its validation and summary, before the epoch listener) {@link #save} when {@link #due}
 * says so. What is stored where, and whether a stored state belongs to this fit, is the
 * implementation's (the Spark ML stage keeps it in {@code checkpointDir}).
 */
public interface Checkpointing {

  /** No checkpoints: every fit starts at epoch 1 and nothing is saved. */
  Checkpointing NONE = new Checkpointing() {
    @Override
    public TrainerState resume() {
      return null;
    }

    @Override
    public boolean due(int epochsDone, int totalEpochs) {
      return false;
    }

    @Override
    public void save(TrainerState state) {}
  };

  /** The state to continue from, or null to start from the initial network. */
  TrainerState resume();

  /** Whether the state after {@code epochsDone} of {@code totalEpochs} epochs is saved. */
  boolean due(int epochsDone, int totalEpochs);

  /** Saves the state; it must be readable by the next {@link #resume} once this returns. */
  void save(TrainerState state);
}
