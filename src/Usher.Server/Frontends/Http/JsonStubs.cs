// TEMPORARY stubs until the JSON codec lands; removed on merge.
using System.Buffers;
using Usher.Core.Inference;

namespace Usher.Server.Frontends.Http;

internal static class JsonInferenceRequestReader
{
    public static InferenceResult<InferenceRequest> Read(ReadOnlyMemory<byte> body, string modelName, long? modelVersion) => throw new NotImplementedException();
}

internal static class JsonInferenceResponseWriter
{
    public static void Write(IBufferWriter<byte> writer, InferenceResponse response) => throw new NotImplementedException();
}
