/**
 * The vocabulary of string-valued settings: {@link io.sparkint8.labels.Labelled}, an enum constant
 * named by the string a user writes ({@code int8}, {@code dsgc}, {@code cosine}, ...). Every such
 * setting of the engine is an enum implementing it, so the allowed values, their parsing and the
 * lists in Param validators and docs come from one place.
 *
 * <p>A leaf: it imports nothing of the project (every engine package imports it) and never Spark.
 */
package io.sparkint8.labels;
