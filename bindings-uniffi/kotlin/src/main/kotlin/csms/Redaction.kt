package csms

/**
 * The `toString()` of the generated records `Header` and `HttpRequest` (`generate kotlin`
 * makes them call these): the values of the credential headers (`Authorization`,
 * `X-Security-Token`, `X-Auth-Token`, any spelling) print as `***`, and a request's body as its
 * size only (it may carry a secret value). Fields themselves are unchanged.
 */
internal val REDACTED_HEADERS = setOf("authorization", "x-security-token", "x-auth-token")

/** Whether a header of this name carries a credential (its value is printed as `***`). */
fun isCredentialHeader(name: String): Boolean = name.lowercase() in REDACTED_HEADERS

internal fun redactedText(header: Header): String =
    "Header(name=${header.name}, value=${if (isCredentialHeader(header.name)) "***" else header.value})"

internal fun redactedText(request: HttpRequest): String =
    "HttpRequest(method=${request.method}, url=${request.url}, headers=${request.headers}, body=${request.body.size} bytes)"
