namespace Usher.Cli.Bench;

/// <summary>How <c>usher bench</c> sends a request.</summary>
internal enum BenchProtocol
{
    /// <summary>REST with a JSON body (<c>Content-Type: application/json</c>).</summary>
    Rest,

    /// <summary>REST with the binary tensor data extension: JSON header, then raw little-endian tensors, outputs asked for as binary.</summary>
    RestBinary,

    /// <summary>gRPC <c>ModelInfer</c> over h2c with <c>raw_input_contents</c>.</summary>
    Grpc,
}
