package csms

/**
 * The `toString()` of the generated records `Header`, `HttpRequest` and `ProvidedCredentials`
 * (`generate kotlin` makes them call these): the values of the credential headers
 * (`Authorization`, `X-Security-Token`, `X-Auth-Token`, any spelling) print as `***`, a
 * request's body as its size only (it may carry a secret value), and the SK and tokens of
 * provided credentials as `***`. Fields themselves are unchanged.
 */
internal val REDACTED_HEADERS = setOf("authorization", "x-security-token", "x-auth-token")

/** Whether a header of this name carries a credential (its value is printed as `***`). */
fun isCredentialHeader(name: String): Boolean = name.lowercase() in REDACTED_HEADERS

internal fun redactedText(header: Header): String =
    "Header(name=${header.name}, value=${if (isCredentialHeader(header.name)) "***" else header.value})"

internal fun redactedText(request: HttpRequest): String =
    "HttpRequest(method=${request.method}, url=${request.url}, headers=${request.headers}, body=${request.body.size} bytes)"

internal fun redactedText(c: ProvidedCredentials): String = with(CsmsJson) {
    "ProvidedCredentials(ak=${c.ak}, sk=${hidden(c.sk)}, securityToken=${hidden(c.securityToken)}, " +
        "authToken=${hidden(c.authToken)}, expiresAt=${c.expiresAt}, projectId=${c.projectId})"
}
