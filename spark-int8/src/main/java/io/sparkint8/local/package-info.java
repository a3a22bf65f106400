/**
 * Training in one JVM without Spark: the local trainer that runs the same step code a Spark task runs,
 * and readers for the data sets it is tested on (IDX files such as Fashion-MNIST). Never imports Spark.
 */
package io.sparkint8.local;
