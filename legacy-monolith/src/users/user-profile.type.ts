/** `GET /users/:id`: a public profile with counts read from the follows and cards tables. */
export interface UserProfile {
  id: string;
  handle: string;
  displayName: string;
  role: string;
  banned: boolean;
  followerCount: number;
  followingCount: number;
  cardCount: number;
  createdAt: string;
}
