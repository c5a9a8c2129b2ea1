namespace Usher.Cli.Batch;

/// <summary>One committed chunk: a line of the manifest.</summary>
/// <param name="Index">The chunk's number.</param>
/// <param name="FirstRow">Its first data row (0-based) in the input.</param>
/// <param name="Rows">Rows read.</param>
/// <param name="Errors">Rows that went to the errors file.</param>
/// <param name="OutputEnd">The output file's length once this chunk's rows were appended.</param>
/// <param name="OutputChecksum">XXH128 of this chunk's bytes of the output file, hex.</param>
/// <param name="ErrorsEnd">The errors file's length once this chunk's failed rows were appended.</param>
/// <param name="ErrorsChecksum">XXH128 of this chunk's bytes of the errors file, hex.</param>
/// <param name="Trailer">What the output's end needs of the chunk (a Parquet part's footer); null for text.</param>
internal sealed record ChunkRecord(long Index, long FirstRow, int Rows, int Errors, long OutputEnd, string OutputChecksum, long ErrorsEnd, string ErrorsChecksum, byte[]? Trailer);
