namespace Usher.Cli.Batch;

/// <summary>What <c>usher batch</c> was asked to do, after the flags were parsed.</summary>
/// <param name="Model">The model to score with.</param>
/// <param name="Version">The version, or null for the newest ready one (in process) or the one the server routes to.</param>
/// <param name="Input">The input file.</param>
/// <param name="Output">The output file.</param>
/// <param name="Repository">The model repository (in process).</param>
/// <param name="Keep">Input columns copied to the output.</param>
/// <param name="Columns">Explicit input → columns mappings (<c>--columns</c>).</param>
/// <param name="Errors">The errors file; null for the default beside the output.</param>
/// <param name="MaxErrorFraction">Stop (exit 3) when more than this fraction of the rows fail.</param>
/// <param name="Resume">Continue an interrupted run.</param>
/// <param name="Server">Score on this server over gRPC instead of in process.</param>
/// <param name="Shard">The part of the input this process scores.</param>
/// <param name="ChunkRows">Rows per committed chunk; null picks one from the model's width and batch size.</param>
/// <param name="PassThrough">Run without the model (the I/O limit, for benchmarks).</param>
/// <param name="Compression">The codec of a Parquet output's pages (<c>--compression</c>); null picks one from the outputs (<see cref="ParquetFiles.DefaultCompression"/>).</param>
internal sealed record BatchJobSettings(
    string Model,
    long? Version,
    string Input,
    string Output,
    string Repository,
    IReadOnlyList<string> Keep,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Columns,
    string? Errors,
    double MaxErrorFraction,
    bool Resume,
    Uri? Server,
    ShardSpec Shard,
    int? ChunkRows,
    bool PassThrough,
    Parquet.CompressionMethod? Compression = null)
{
    /// <summary>The errors file: <see cref="Errors"/>, or <c>OUTPUT-NAME.errors.csv</c> beside the output.</summary>
    public string ErrorsPath => Errors ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Output))!, Path.GetFileNameWithoutExtension(Output) + ".errors.csv");
}
