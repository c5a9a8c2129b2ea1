namespace Usher.Cli.Batch;

/// <summary>A column of the input file.</summary>
/// <param name="Name">Its name (CSV header, JSON key, Parquet field).</param>
/// <param name="IsList">True for a list of values per row (a Parquet list, a JSON array).</param>
/// <param name="ClrType">Parquet's element type of the column; null for CSV and JSONL, whose values are text or JSON.</param>
internal sealed record SourceColumn(string Name, bool IsList, Type? ClrType = null);
