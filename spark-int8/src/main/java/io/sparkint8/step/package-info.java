/**
 * The training step both trainers run, and the settings that drive it: the local trainer
 * ({@code io.sparkint8.local}) and the Spark trainer ({@code io.sparkint8.train}) are peers that
 * share this package and never import each other.
 *
 * <p>Engine code: it never imports Spark (a test enforces it).
 */
package io.sparkint8.step;
