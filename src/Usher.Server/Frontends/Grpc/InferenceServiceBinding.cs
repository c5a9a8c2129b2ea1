using Grpc.Core;
using Usher.Server.Protos;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// Binds <see cref="InferenceService"/>'s methods as the generated code does, but through a
/// <see cref="CheckedRequestBinder"/>, so that a request message that cannot be parsed (a string field
/// that is not UTF-8) ends the call with INVALID_ARGUMENT naming the field instead of UNKNOWN.
/// </summary>
internal static class InferenceServiceBinding
{
    /// <summary>
    /// Called by gRPC for ASP.NET Core when it discovers the service (see <see cref="BindServiceMethodAttribute"/>).
    /// The second parameter is the generated base type: gRPC looks the handlers up as overrides of it.
    /// </summary>
    public static void BindService(ServiceBinderBase serviceBinder, GRPCInferenceService.GRPCInferenceServiceBase? serviceImpl)
        => GRPCInferenceService.BindService(new CheckedRequestBinder(serviceBinder), serviceImpl);
}
