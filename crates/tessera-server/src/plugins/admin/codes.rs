//! The admin plugin's error codes and messages, as Better Auth 1.7.25's `ADMIN_ERROR_CODES` words
//! them, with the status each route answers them with.

use axum::http::StatusCode;

use crate::error::ApiError;

macro_rules! coded {
    ($fn_name:ident, $status:ident, $code:literal, $message:literal) => {
        pub fn $fn_name() -> ApiError {
            ApiError::new(StatusCode::$status, $code, $message)
        }
    };
}

coded!(
    not_allowed_to_create_users,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS",
    "You are not allowed to create users"
);
coded!(
    not_allowed_to_list_users,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS",
    "You are not allowed to list users"
);
coded!(
    not_allowed_to_get_user,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_GET_USER",
    "You are not allowed to get user"
);
coded!(
    not_allowed_to_update_users,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS",
    "You are not allowed to update users"
);
coded!(
    not_allowed_to_change_users_role,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE",
    "You are not allowed to change users role"
);
coded!(
    not_allowed_to_ban_users,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_BAN_USERS",
    "You are not allowed to ban users"
);
coded!(
    not_allowed_to_impersonate_users,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS",
    "You are not allowed to impersonate users"
);
coded!(
    not_allowed_to_list_users_sessions,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS",
    "You are not allowed to list users sessions"
);
coded!(
    not_allowed_to_revoke_users_sessions,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS",
    "You are not allowed to revoke users sessions"
);
coded!(
    not_allowed_to_delete_users,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS",
    "You are not allowed to delete users"
);
coded!(
    not_allowed_to_set_users_password,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD",
    "You are not allowed to set users password"
);
coded!(
    not_allowed_to_set_users_email,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL",
    "You are not allowed to update users email"
);
coded!(
    not_allowed_to_set_users_phone_number,
    FORBIDDEN,
    "YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER",
    "You are not allowed to update users phone number"
);
coded!(
    cannot_impersonate_admins,
    FORBIDDEN,
    "YOU_CANNOT_IMPERSONATE_ADMINS",
    "You cannot impersonate admins"
);
coded!(
    cannot_ban_yourself,
    BAD_REQUEST,
    "YOU_CANNOT_BAN_YOURSELF",
    "You cannot ban yourself"
);
coded!(
    cannot_remove_yourself,
    BAD_REQUEST,
    "YOU_CANNOT_REMOVE_YOURSELF",
    "You cannot remove yourself"
);
coded!(
    no_data_to_update,
    BAD_REQUEST,
    "NO_DATA_TO_UPDATE",
    "No data to update"
);
coded!(
    password_cannot_be_updated_via_update_user,
    BAD_REQUEST,
    "PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER",
    "Password cannot be updated through update-user. Use the set-user-password endpoint instead"
);
coded!(
    user_id_cannot_be_updated,
    BAD_REQUEST,
    "USER_ID_CANNOT_BE_UPDATED",
    "User id cannot be updated"
);
coded!(
    invalid_role_type,
    BAD_REQUEST,
    "INVALID_ROLE_TYPE",
    "Invalid role type"
);
// The admin routes answer a taken email with 400, where sign-up answers 422.
coded!(
    user_already_exists_use_another_email,
    BAD_REQUEST,
    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    "User already exists. Use another email."
);
coded!(
    user_not_found,
    NOT_FOUND,
    "USER_NOT_FOUND",
    "User not found"
);
/// Better Auth's admin 401: no session, and an empty body.
pub fn no_session() -> ApiError {
    ApiError::empty(StatusCode::UNAUTHORIZED)
}
