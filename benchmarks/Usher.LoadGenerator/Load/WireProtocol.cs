namespace Usher.LoadGenerator.Load;

/// <summary>How the load generator sends a request.</summary>
internal enum WireProtocol
{
    /// <summary>REST with the JSON body as it is (<c>Content-Type: application/json</c>).</summary>
    Rest,

    /// <summary>REST with the binary tensor data extension: JSON header, then raw little-endian tensors, outputs asked for as binary.</summary>
    RestBinary,

    /// <summary>gRPC <c>ModelInfer</c> over h2c with <c>raw_input_contents</c>.</summary>
    GrpcRaw,
}
