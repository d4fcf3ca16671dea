import { Author } from '../authors/author.entity.js';
import { CardTag } from '../cards/entities/card-tag.entity.js';
import { Card } from '../cards/entities/card.entity.js';
import { Tag } from '../cards/entities/tag.entity.js';
import { Comment } from '../comments/comment.entity.js';
import { Like } from '../likes/like.entity.js';

/** Every entity of the cards database, registered explicitly (no globs). */
export const cardsEntities = [Author, Card, Tag, CardTag, Comment, Like];
