namespace Usher.Cli.Batch;

/// <summary>The file formats <c>usher batch</c> reads and writes, chosen by extension.</summary>
internal enum FileFormat
{
    /// <summary><c>.csv</c>: comma-separated, with a header line.</summary>
    Csv,

    /// <summary><c>.jsonl</c>: one JSON object per line.</summary>
    Jsonl,

    /// <summary><c>.parquet</c>: Apache Parquet (Parquet.Net).</summary>
    Parquet,
}
